using System.Collections.Concurrent;
using Flowmesh.Core.Epochs;
using Flowmesh.Core.Flows;

namespace Flowmesh.Agent.Drill;

/// <summary>
/// Collects the flow table's per-epoch deltas on the capture thread and hands each sealed epoch's rows, as one
/// batch, to a writer thread that stores them in the <see cref="FlowLog"/>. Deltas come per flow and epoch (at the
/// epoch cut and at flow end), never per packet; the row buffers are reused, so steady state allocates nothing on
/// the capture thread.
/// </summary>
internal sealed class FlowCollector : IEpochFlowListener, IDisposable
{
    private readonly FlowLog _log;
    private readonly FlowLogOptions _options;
    private readonly Action<string> _report;
    private readonly BlockingCollection<Batch> _pending;
    private readonly ConcurrentBag<FlowRow[]> _free = [];
    private readonly Thread _writer;
    private FlowRow[] _rows;
    private int _count;
    private long _rowsDropped, _epochsDropped, _writeFailures;

    public FlowCollector(FlowLog log, Action<string> report)
    {
        _log = log;
        _options = log.Options;
        _report = report;
        _pending = new BlockingCollection<Batch>(Math.Max(1, _options.MaxPendingEpochs));
        _rows = new FlowRow[Math.Min(_options.MaxFlowsPerEpoch, 1024)];
        _writer = new Thread(WriteLoop) { Name = "flow-log", IsBackground = true };
        _writer.Start();
    }

    /// <summary>Flows beyond <see cref="FlowLogOptions.MaxFlowsPerEpoch"/> in an epoch: counted, not kept.</summary>
    public long RowsDropped => Interlocked.Read(ref _rowsDropped);

    /// <summary>Whole epochs dropped because the writer fell <see cref="FlowLogOptions.MaxPendingEpochs"/> behind.</summary>
    public long EpochsDropped => Interlocked.Read(ref _epochsDropped);

    public long WriteFailures => Interlocked.Read(ref _writeFailures);

    /// <summary>A delta of the open epoch (capture thread). Its epoch is known only at the seal.</summary>
    public void Add(FlowTableDelta delta)
    {
        if (delta.Packets == 0 && delta.ReversePackets == 0) return;
        // The same guard as the summary's: such a row would be served to peers, whose decoder refuses the whole reply.
        if (delta.Packets < 0 || delta.ReversePackets < 0 || delta.Bytes < 0 || delta.ReverseBytes < 0)
            throw new ArgumentException("Flow deltas never have negative counters.", nameof(delta));
        if (_count == _rows.Length)
        {
            if (_rows.Length >= _options.MaxFlowsPerEpoch)
            {
                _rowsDropped++;
                return;
            }
            Array.Resize(ref _rows, Math.Min(_rows.Length * 2, _options.MaxFlowsPerEpoch));
        }
        _rows[_count++] = new FlowRow(0, 0, delta.Protocol, delta.SourceAddress, delta.SourcePort, delta.DestinationAddress, delta.DestinationPort,
            delta.Bytes, delta.Packets, delta.ReverseBytes, delta.ReversePackets, delta.StartMicros, delta.EndMicros) { TcpFlags = delta.TcpFlags, Context = delta.Context };
    }

    /// <summary>The epoch <paramref name="id"/> was sealed (capture thread): its rows go to the writer.</summary>
    public void Sealed(EpochId id)
    {
        if (_count == 0) return;
        var batch = new Batch(id.StartMicros, id.LengthMicros, _rows, _count);
        bool queued;
        try
        {
            queued = !_pending.IsAddingCompleted && _pending.TryAdd(batch);
        }
        catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException)
        {
            queued = false; // a capture loop that outlived the agent's stop seals once more: nothing to write to
        }
        if (!queued)
        {
            Interlocked.Increment(ref _epochsDropped);
            Interlocked.Add(ref _rowsDropped, _count);
            _count = 0;
            return;
        }
        _rows = _free.TryTake(out var reused) ? reused : new FlowRow[_rows.Length];
        _count = 0;
    }

    private void WriteLoop()
    {
        foreach (var batch in _pending.GetConsumingEnumerable())
        {
            var rows = batch.Rows.AsSpan(0, batch.Count);
            for (int i = 0; i < rows.Length; i++) rows[i] = rows[i] with { EpochStartMicros = batch.StartMicros, EpochLengthMicros = batch.LengthMicros };
            try
            {
                _log.Write(rows);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // Anything else escaping here would end the process (a thread of its own): count it and write on.
                Interlocked.Increment(ref _writeFailures);
                _report($"flowmesh: could not store {batch.Count} flow rows: {e.Message}");
            }
            if (_free.Count < 2) _free.Add(batch.Rows);
        }
    }

    /// <summary>Writes what is pending (the capture has stopped and sealed its last epoch) and stops the writer.</summary>
    public void Dispose()
    {
        _pending.CompleteAdding();
        _writer.Join(TimeSpan.FromSeconds(10));
        _pending.Dispose();
    }

    private readonly record struct Batch(long StartMicros, long LengthMicros, FlowRow[] Rows, int Count);
}
