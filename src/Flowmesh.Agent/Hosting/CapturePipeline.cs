using Flowmesh.Capture;
using Flowmesh.Capture.Ebpf;
using Flowmesh.Capture.HostContext;
using Flowmesh.Capture.Live;
using Flowmesh.Core.Epochs;
using Flowmesh.Core.Flows;

namespace Flowmesh.Agent.Hosting;

/// <summary>
/// Capture -> <see cref="EpochSummarizer"/> on a thread of its own, sealing one record every epoch (empty epochs
/// too: "watched and silent" must differ from "not watched"). Sealed records go to the callback on the capture
/// thread. <see cref="Stop"/> ends the capture and seals the partial epoch, so a clean shutdown loses nothing that
/// was observed.
/// </summary>
/// <remarks>
/// <para>Every source runs its own loop (<see cref="ICaptureSource.Run{TSink}"/>) into an <see cref="AgentCaptureSink"/>:
/// libpcap moves the clock on every read timeout, the eBPF source drains its map at each epoch boundary (the sink's
/// deadline: its traffic belongs to the epoch that is ending) and every drain interval in between. The drill-down
/// flow log listens to the summarizer's deltas (<see cref="GuardedFlowListener"/>).</para>
/// <para><b>No single flow ends the capture, and the capture never ends the agent.</b> Any host on the LAN chooses
/// what this thread sees, so an exception while one flow's delta is summarized or logged drops that delta, is counted
/// in <see cref="Errors"/> and logged (the first, then once a minute), and the capture goes on. An exception that
/// escapes the loop itself ends the capture only: <see cref="State"/> says "failed" with the reason, no more records
/// are sealed (the node's coverage gap then shows on every peer), and the agent keeps serving its API and gossip.</para>
/// </remarks>
internal sealed class CapturePipeline : IDisposable
{
    private readonly ICaptureSource _source;
    private readonly EpochSummarizer _summarizer;
    private readonly KernelDropTracker _drops;
    private readonly HostContextSession _hostContext;
    private readonly CancellationTokenSource _stop = new();
    private readonly Func<long> _wallClockMicros;
    private readonly Action<EpochRecord> _onSealed;
    private readonly Action<TimeSpan>? _sealTimed;
    private readonly TextWriter _log;
    private Thread? _thread;
    private volatile string? _error;
    private volatile bool _failed;
    private int _finished;
    private long _stepsBackLogged;

    public CapturePipeline(ICaptureSource source, EpochSummarizerOptions options, Action<EpochRecord> onSealed, Func<long>? wallClockMicros = null,
        IEpochFlowListener? flows = null, TextWriter? log = null, Action<TimeSpan>? sealTimed = null, HostContextSession? hostContext = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(onSealed);
        _source = source;
        _onSealed = onSealed;
        _sealTimed = sealTimed;
        _log = log ?? Console.Error;
        Errors = new CaptureErrors(_log);
        // Drill-down: the flow log sees the same per-epoch deltas as the summary, and each epoch's rows are handed
        // over when that epoch seals (before the record is published). Each consumer is guarded on its own, so a
        // delta one of them refuses still reaches the other.
        // Host context joins each delta on this thread; the pipeline owns the session and stops its hooks with the capture.
        _hostContext = hostContext ?? HostContextSession.Empty;
        foreach (string note in _hostContext.Notes) _log.WriteLine($"flowmesh: host context: {note}");
        _summarizer = new EpochSummarizer(options with { SealEmptyEpochs = true, Context = _hostContext.Resolver }, OnSealed,
            flows is null ? null : new GuardedFlowListener(flows, Errors),
            (e, delta) => Errors.Count(CaptureErrorStage.Summary, e, CaptureErrors.Describe(in delta)),
            (e, epoch) => Errors.Count(CaptureErrorStage.Seal, e, $"the record of epoch {epoch} (it could not be built)"));
        // The DNS source reads the port-53 frames the summarizer's meter decodes anyway (libpcap); eBPF feeds it apart.
        _summarizer.Meter.DnsMonitor = _hostContext.Dns?.Monitor;
        _drops = new KernelDropTracker(source);
        DnsObservations = options.DnsObservations;
        _wallClockMicros = wallClockMicros ?? Core.UnixMicros.Now;
    }

    public string Description => _source.Description;

    /// <summary>DNS observations waiting for, taken into, or dropped before the records (null: no DNS hand-over).</summary>
    public Core.HostContext.DnsObservationInbox? DnsObservations { get; private init; }

    /// <summary>The host-context sources' counters (process, tcp, dns, drops) and the DNS hand-over's, by "source.what".</summary>
    public IReadOnlyDictionary<string, long> HostContextCounters()
    {
        var counters = new Dictionary<string, long>(_hostContext.Counters());
        if (DnsObservations is { } inbox)
        {
            counters["dns.observations_received"] = inbox.Received;
            counters["dns.observations_dropped"] = inbox.Dropped;
        }
        return counters;
    }

    /// <summary>Frames (packets for eBPF) seen since start.</summary>
    public long Packets => _source.Statistics.Frames;

    /// <summary>Packets the kernel dropped (libpcap buffer overruns; eBPF: flow map full) since start.</summary>
    public long Drops => _source.Statistics.KernelDrops ?? 0;

    /// <summary>
    /// Set when the capture stopped on its own (the interface went away, a libpcap error, a failed loop), once what it
    /// saw is sealed: a reader that sees "failed" sees the last record too.
    /// </summary>
    public string? Error => _error;

    /// <summary>"running"; "failed" once the capture ended on its own (see <see cref="Error"/>); "stopped" after <see cref="Stop"/>.</summary>
    public string State => _failed ? "failed" : Volatile.Read(ref _finished) == 1 ? "stopped" : "running";

    /// <summary>Exceptions caught on the capture thread, by stage (see the class remarks).</summary>
    public CaptureErrors Errors { get; }

    /// <summary>eBPF: share of the flow map the last drain found filled; 0 with libpcap.</summary>
    public double EbpfMapFill => OperatingSystem.IsLinux() && _source is EbpfCaptureSource ebpf ? ebpf.LastDrainFill : 0;

    /// <summary>Flows in the table now (read from another thread: a recent value, not a synchronized one).</summary>
    public int FlowTableFlows => _summarizer.Meter.Table.Count;

    public long FlowEvictions => _summarizer.Meter.Table.Evictions;

    public long Undecodable => _summarizer.Meter.DecodeFailures.Total;

    /// <summary>Records sealed under a later interval than the time they watched (the wall clock was put back under this agent's records; <see cref="EpochSummarizer.RecordsMoved"/>).</summary>
    public long RecordsMoved => _summarizer.RecordsMoved;

    /// <summary>Steps of the wall clock back by more than an epoch, each of which sealed the open epoch early.</summary>
    public long ClockStepsBack => _summarizer.ClockStepsBack;

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
    /// A failed capture seals nothing more: what it held since the failure is not known to be whole.
    /// </summary>
    public bool Stop(TimeSpan timeout)
    {
        _stop.Cancel();
        if (_thread is not null && !_thread.Join(timeout)) return false;
        SealOpenEpoch();
        return true;
    }

    /// <summary>Once: seals the open epoch with what was observed (not after a failed loop, whose state is not trusted).</summary>
    private void SealOpenEpoch()
    {
        if (Interlocked.Exchange(ref _finished, 1) != 0 || _failed) return;
        try
        {
            _drops.ChargeTo(_summarizer);
            // Only the watched part of the epoch: a restart inside it seals the rest under an interval of its own.
            _summarizer.FinishAt(_wallClockMicros());
        }
        catch (Exception e)
        {
            Errors.Count(CaptureErrorStage.Loop, e, "the partial epoch at stop");
        }
    }

    private void Run()
    {
        try
        {
            _source.Run(new AgentCaptureSink(_summarizer, _drops, Errors), _stop.Token);
            if (!_stop.IsCancellationRequested && _source.Statistics.StoppedEarly is string reason)
            {
                // The source ended on its own (the interface vanished, a damaged file): what it saw is sealed now,
                // not at shutdown, and no later epoch is (nobody watches them).
                _log.WriteLine($"flowmesh: capture stopped: {reason}; the agent goes on without capture (see /api/v1/status)");
                SealOpenEpoch();
                _error = reason;
                _failed = true;
            }
        }
        catch (Exception e) when (e is CaptureSetupException or IOException or InvalidOperationException or EbpfUnavailableException)
        {
            Fail(e.Message);
        }
        catch (Exception e)
        {
            // Whatever escaped the loop ends the capture, never the process: the agent still gossips and answers.
            Errors.Count(CaptureErrorStage.Loop, e, "the capture loop");
            Fail($"{e.GetType().Name}: {e.Message}");
        }
    }

    private void Fail(string reason)
    {
        _error = reason;
        _failed = true;
        _log.WriteLine($"flowmesh: capture stopped: {reason}; the agent goes on without capture (see /api/v1/status)");
    }

    /// <summary>The summarizer's seal callback (after the flow log took the epoch): publishes the record; a failure is counted.</summary>
    private void OnSealed(EpochRecord record)
    {
        if (_summarizer.ClockStepsBack != _stepsBackLogged)
        {
            // Said once per step: the traffic until the clock is back is counted, but shown later than it happened.
            _stepsBackLogged = _summarizer.ClockStepsBack;
            _log.WriteLine($"flowmesh: the wall clock stepped back by more than an epoch; the open epoch is sealed now, and until the clock is back at {Core.UnixMicros.Format(_summarizer.RecordsFromMicros)} each epoch is sealed as a short record after this agent's newest one (flowmesh_records_moved_total), so none collides and no traffic is lost");
        }
        try
        {
            _onSealed(record);
            // From the summarizer's start of the seal to the record signed and stored: the seal time users tune by
            // (epoch length, top-K sizes), in flowmesh_record_seal_duration_seconds.
            _sealTimed?.Invoke(System.Diagnostics.Stopwatch.GetElapsedTime(_summarizer.LastSealStartTimestamp));
        }
        catch (Exception e)
        {
            Errors.Count(CaptureErrorStage.Seal, e, $"the record of epoch {record.Id}");
        }
    }

    public void Dispose()
    {
        Stop(TimeSpan.FromSeconds(5));
        _hostContext.Dispose();
        _stop.Dispose();
    }
}
