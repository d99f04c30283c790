using Flowmesh.Capture;
using Flowmesh.Capture.Ebpf;
using Flowmesh.Capture.Live;
using Flowmesh.Core.Epochs;

namespace Flowmesh.Agent.Hosting;

/// <summary>
/// Capture -> <see cref="EpochSummarizer"/> on a thread of its own, sealing one record every epoch (empty epochs
/// too: "watched and silent" must differ from "not watched"). Sealed records go to the callback on the capture
/// thread. <see cref="Stop"/> ends the capture and seals the partial epoch, so a clean shutdown loses nothing that
/// was observed.
/// </summary>
/// <remarks>
/// Packet sources (libpcap) drive the summarizer themselves and call its idle path on every read timeout. The eBPF
/// source aggregates in the kernel, so here a tick every <see cref="EbpfTick"/> drains the flow map before each
/// epoch boundary (its traffic belongs to the epoch that is ending) and every drain interval in between.
/// </remarks>
internal sealed class CapturePipeline : IDisposable
{
    public static readonly TimeSpan EbpfTick = TimeSpan.FromMilliseconds(250);

    private readonly ICaptureSource _source;
    private readonly EpochSummarizer _summarizer;
    private readonly KernelDropTracker _drops;
    private readonly CancellationTokenSource _stop = new();
    private readonly Func<long> _wallClockMicros;
    private Thread? _thread;
    private volatile string? _error;
    private readonly long _lengthMicros;
    private int _finished;

    public CapturePipeline(ICaptureSource source, EpochSummarizerOptions options, Action<EpochRecord> onSealed, Func<long>? wallClockMicros = null,
        Drill.FlowCollector? flows = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (source is not (EbpfCaptureSource or LibpcapLiveSource or Capture.Files.PcapFileSource))
            throw new ArgumentException($"{source.Description}: the agent captures with eBPF or libpcap", nameof(source));
        _source = source;
        _lengthMicros = options.EpochLength.Ticks / TimeSpan.TicksPerMicrosecond;
        // Drill-down: the flow log sees the same per-epoch deltas as the summary, and each epoch's rows are handed
        // over when that epoch seals (before the record is published).
        _summarizer = new EpochSummarizer(options with { SealEmptyEpochs = true },
            flows is null ? onSealed : record => { flows.Sealed(record.Id); onSealed(record); });
        if (flows is not null)
        {
            var summarize = _summarizer.Meter.Table.DeltaSink!;
            _summarizer.Meter.Table.DeltaSink = delta => { summarize(delta); flows.Add(delta); };
        }
        _drops = new KernelDropTracker(source);
        _wallClockMicros = wallClockMicros ?? Core.UnixMicros.Now;
    }

    public string Description => _source.Description;

    /// <summary>Frames (packets for eBPF) seen since start.</summary>
    public long Packets => _source.Statistics.Frames;

    /// <summary>Packets the kernel dropped (libpcap buffer overruns; eBPF: flow map full) since start.</summary>
    public long Drops => _source.Statistics.KernelDrops ?? 0;

    /// <summary>Set when the capture stopped on its own (the interface went away, a libpcap error).</summary>
    public string? Error => _error ?? _source.Statistics.StoppedEarly;

    /// <summary>eBPF: share of the flow map the last drain found filled; 0 with libpcap.</summary>
    public double EbpfMapFill => _source is EbpfCaptureSource ebpf ? ebpf.LastDrainFill : 0;

    /// <summary>Flows in the table now (read from another thread: a recent value, not a synchronized one).</summary>
    public int FlowTableFlows => _summarizer.Meter.Table.Count;

    public long FlowEvictions => _summarizer.Meter.Table.Evictions;

    public long Undecodable => _summarizer.Meter.DecodeFailures.Total;

    public void Start()
    {
        if (_thread is not null) throw new InvalidOperationException("the capture pipeline starts once");
        // Open the first epoch now: from this instant on the node is watching, traffic or not.
        _summarizer.AdvanceTime(_wallClockMicros());
        _thread = new Thread(Run) { Name = "capture", IsBackground = true };
        _thread.Start();
    }

    /// <summary>
    /// Stops the capture (waits for the loop to return, at most <paramref name="timeout"/>), then seals the open epoch.
    /// Returns false when the loop did not return in time (the partial epoch is then not sealed: the loop owns it).
    /// </summary>
    public bool Stop(TimeSpan timeout)
    {
        _stop.Cancel();
        if (_thread is not null && !_thread.Join(timeout)) return false;
        if (Interlocked.Exchange(ref _finished, 1) == 0)
        {
            _drops.ChargeTo(_summarizer);
            _summarizer.Finish();
        }
        return true;
    }

    private void Run()
    {
        try
        {
            if (_source is EbpfCaptureSource ebpf) RunEbpf(ebpf);
            else if (_source is LibpcapLiveSource live) live.Run(new AgentFrameSink(_summarizer, _drops), _stop.Token);
            else if (_source is Capture.Files.PcapFileSource file) file.Run(new AgentFrameSink(_summarizer, _drops), _stop.Token);
        }
        catch (Exception e) when (e is CaptureSetupException or IOException or InvalidOperationException or EbpfUnavailableException)
        {
            _error = e.Message;
            Console.Error.WriteLine($"flowmesh: capture stopped: {e.Message}");
        }
    }

    private void RunEbpf(EbpfCaptureSource ebpf)
    {
        long lengthMicros = _lengthMicros;
        long drainMicros = (long)ebpf.DrainInterval.TotalMicroseconds;
        long now = _wallClockMicros();
        long nextBoundary = EpochRollup.AlignDown(now, lengthMicros) + lengthMicros;
        long nextDrain = now + drainMicros;
        while (!_stop.Token.WaitHandle.WaitOne(EbpfTick))
        {
            now = _wallClockMicros();
            if (now >= nextBoundary || now >= nextDrain)
            {
                ebpf.DrainInto(_summarizer.Meter);
                nextDrain = now + drainMicros;
            }
            if (now >= nextBoundary) nextBoundary = EpochRollup.AlignDown(now, lengthMicros) + lengthMicros;
            _drops.ChargeTo(_summarizer);
            _summarizer.AdvanceTime(now);
        }
        // What the kernel counted since the last drain belongs to the epoch that Stop seals.
        ebpf.DrainInto(_summarizer.Meter);
    }

    public void Dispose()
    {
        Stop(TimeSpan.FromSeconds(5));
        _stop.Dispose();
    }
}
