using Flowmesh.Core.Flows;
using Flowmesh.Core.Packets;

namespace Flowmesh.Core.Epochs;

/// <summary>
/// Frames in, one sealed <see cref="EpochRecord"/> per epoch out. Drives a <see cref="FlowMeter"/> and cuts
/// epochs by packet time: when a packet (or idle time) reaches the end of the open epoch, the flow table
/// exports every live flow's traffic since the previous cut (<see cref="FlowTable.ExportInterim"/>), and the
/// epoch is sealed before the packet is counted. So each packet lands in the epoch in which it was observed,
/// whatever the lifetime of its flow.
/// </summary>
/// <remarks>
/// Epochs without any frame produce no record unless <see cref="EpochSummarizerOptions.SealEmptyEpochs"/> is set:
/// then idle time (<see cref="AdvanceTime"/>) opens and seals epochs too. A packet older than the open epoch (captures are not strictly
/// ordered) is counted in the open epoch. Not thread-safe: one capture loop owns it.
/// </remarks>
public sealed class EpochSummarizer
{
    private readonly EpochSummarizerOptions _options;
    private readonly Action<EpochRecord> _onSealed;
    private readonly long _lengthMicros;
    private EpochSummary? _current;
    private long _currentEnd;
    private long _framesAtStart;
    private long _decodeFailuresAtStart;
    private long _evictionsAtStart;
    private ulong _pendingDrops;

    public EpochSummarizer(EpochSummarizerOptions options, Action<EpochRecord> onSealed)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(onSealed);
        new EpochId(options.Origin, 0, 1).Validate();
        _lengthMicros = options.EpochLength.Ticks / TimeSpan.TicksPerMicrosecond;
        if (_lengthMicros <= 0) throw new ArgumentOutOfRangeException(nameof(options), "The epoch length must be at least 1 µs.");
        _options = options;
        _onSealed = onSealed;
        // Ended flow records carry nothing the summary needs: their traffic arrives as deltas.
        Meter = new FlowMeter(options.FlowTable, static _ => { });
        Meter.Table.DeltaSink = OnDelta;
    }

    public FlowMeter Meter { get; }
    public long RecordsSealed { get; private set; }

    public void ObservePacket(LinkType linkType, long timestampMicros, ReadOnlySpan<byte> frame)
    {
        CutAt(timestampMicros, startIfIdle: true);
        Meter.ObservePacket(linkType, timestampMicros, frame);
    }

    /// <summary>No frame for a while (live capture): seals the open epoch once the clock passes its end.</summary>
    public void AdvanceTime(long nowMicros)
    {
        CutAt(nowMicros, startIfIdle: _options.SealEmptyEpochs);
        Meter.AdvanceTime(nowMicros);
    }

    /// <summary>Kernel drops reported by the capture since the previous call; charged to the open epoch.</summary>
    public void AddKernelDrops(ulong drops) => _pendingDrops += drops;

    /// <summary>The input is over: ends every flow and seals the open epoch.</summary>
    public void Finish()
    {
        if (_current is null) return;
        Meter.Flush();
        Seal();
    }

    private void CutAt(long micros, bool startIfIdle)
    {
        if (_current is not null && micros >= _currentEnd)
        {
            Meter.Table.ExportInterim();
            Seal();
        }
        if (_current is null && startIfIdle)
        {
            long start = EpochRollup.AlignDown(micros, _lengthMicros);
            _current = new EpochSummary(new EpochId(_options.Origin, start, _lengthMicros), _options.Key, _options.Summary, _options.Ownership, _options.MonitorTraffic);
            _currentEnd = start + _lengthMicros;
        }
    }

    private void Seal()
    {
        var summary = _current!;
        long frames = Meter.FramesSeen, failures = Meter.DecodeFailures.Total, evictions = Meter.Table.Evictions;
        summary.AddHealth(new CaptureHealth(
            (ulong)(frames - _framesAtStart), _pendingDrops, (ulong)(failures - _decodeFailuresAtStart), (ulong)(evictions - _evictionsAtStart), 0));
        _framesAtStart = frames;
        _decodeFailuresAtStart = failures;
        _evictionsAtStart = evictions;
        _pendingDrops = 0;
        _current = null;
        var record = summary.Seal();
        RecordsSealed++;
        _onSealed(record);
    }

    private void OnDelta(FlowTableDelta delta)
    {
        // Deltas only arrive from inside ObservePacket/AdvanceTime/Finish, after CutAt has opened an epoch; an
        // expiry on idle time before any packet cannot produce one because the table is empty then.
        _current!.Add(in delta);
    }
}
