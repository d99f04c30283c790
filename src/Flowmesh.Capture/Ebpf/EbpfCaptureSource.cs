using Flowmesh.Core.Flows;

namespace Flowmesh.Capture.Ebpf;

/// <summary>
/// The eBPF flow map as a capture source: every <see cref="DrainInterval"/>, at each of the sink's deadlines (epoch
/// boundaries) and once more when cancelled, the flows the kernel aggregated are drained, turned into
/// <see cref="FlowAggregate"/>s and fed to the sink, whose clock then moves to the wall clock so idle flows end on
/// time. Between drains the sink's clock moves every <see cref="TickInterval"/>. With the default interface
/// selection, interfaces that come up while it runs are hooked after each drain. Dispose detaches the program.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")] // netlink, tc/tcx, bpf(): Linux only (docs/windows.md)
public sealed class EbpfCaptureSource : ICaptureSource
{
    public static readonly TimeSpan DefaultDrainInterval = TimeSpan.FromSeconds(5);

    /// <summary>Longest sleep between two looks at the clock (the sink's clock moves at least this often).</summary>
    public static readonly TimeSpan TickInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>Failed drains in a row after which <see cref="Run{TSink}"/> gives up (about this many drain intervals).</summary>
    public const int MaxConsecutiveDrainFailures = 5;

    private readonly EbpfFlowCollector _collector;
    private readonly TextWriter? _diagnostics;
    private FlowAggregate[] _aggregates = new FlowAggregate[1024];
    private long _packets;
    private long _bytes;
    private KernelCounters _counters = new();
    private int _running;

    /// <summary>Loads and attaches (see <see cref="EbpfFlowCollector.Open"/> for what it throws).</summary>
    /// <param name="diagnostics">Where "capturing on X too (it came up)" goes; none when null.</param>
    public EbpfCaptureSource(EbpfCaptureOptions options, TimeSpan? drainInterval = null, TextWriter? diagnostics = null)
        : this(EbpfFlowCollector.Open(options), drainInterval, diagnostics)
    {
    }

    public EbpfCaptureSource(EbpfFlowCollector collector, TimeSpan? drainInterval = null, TextWriter? diagnostics = null)
    {
        ArgumentNullException.ThrowIfNull(collector);
        DrainInterval = drainInterval ?? DefaultDrainInterval;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(DrainInterval, TimeSpan.Zero, nameof(drainInterval));
        _collector = collector;
        _diagnostics = diagnostics;
    }

    /// <summary>"eBPF tcx on eth0, wlan0": every interface watched so far, including those that came up later.</summary>
    public string Description => "eBPF " + string.Join(", ", _collector.Interfaces
        .GroupBy(i => i.Mode)
        .Select(g => $"{(g.Key == EbpfAttachMode.Tcx ? "tcx" : "tc clsact")} on {string.Join(", ", g.Select(i => i.Name))}"));

    private double _lastDrainFill;

    /// <summary>Names of the interfaces watched so far (including those hooked after start).</summary>
    public IReadOnlyList<string> InterfaceNames => [.. _collector.Interfaces.Select(i => i.Name)];

    public TimeSpan DrainInterval { get; }

    /// <summary>Interfaces of the default selection left out, with why (see <see cref="EbpfFlowCollector.Skipped"/>).</summary>
    public IReadOnlyList<string> Skipped => _collector.Skipped;

    /// <summary>The kernel program's counters as of the last drain.</summary>
    public KernelCounters Counters => Volatile.Read(ref _counters);

    /// <summary>Flows the last drain took out of the kernel map, as a share of its capacity: how close the map came to full.</summary>
    public double LastDrainFill => Volatile.Read(ref _lastDrainFill);

    /// <summary>Frames: packets aggregated (a GSO super-packet is one); bytes: their IP lengths; kernel drops: packets that found the flow map full.</summary>
    public CaptureStatistics Statistics => new()
    {
        Frames = Interlocked.Read(ref _packets),
        CapturedBytes = Interlocked.Read(ref _bytes),
        KernelDrops = Counters.MapFullMisses,
    };

    public void Run(FlowMeter meter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(meter);
        Run(new FlowMeterSink(meter), cancellationToken);
    }

    /// <summary>
    /// Drains into the sink until cancelled, then once more (what the kernel counted since the last drain belongs in
    /// this run too). A failed drain is reported to <see cref="ICaptureSink.ReadFailed"/> and retried at the next
    /// drain; after <see cref="MaxConsecutiveDrainFailures"/> in a row the run ends with <see cref="InvalidOperationException"/>.
    /// </summary>
    public void Run<TSink>(TSink sink, CancellationToken cancellationToken) where TSink : ICaptureSink
    {
        if (Interlocked.Exchange(ref _running, 1) == 1) throw new InvalidOperationException($"{Description} is already running");
        try
        {
            long drainMicros = Core.UnixMicros.FromDuration(DrainInterval);
            long tickMicros = Core.UnixMicros.FromDuration(TickInterval);
            long now = Core.UnixMicros.Now();
            long nextDrain = now + drainMicros;
            int failedDrains = 0;
            // Wake at the sink's deadline itself, not at the next tick after it: the drain assigns what the kernel
            // counted to the epoch that is ending, so a late drain would move up to a tick of traffic into it, and the
            // agent at the other end of a conversation (libpcap cuts by packet time) would put those packets in the
            // next one (issue 12's hand-over between an owner's record and its peer's "left to peer" section).
            while (!cancellationToken.WaitHandle.WaitOne(Core.UnixMicros.ToDuration(Math.Clamp(Math.Min(sink.NextDeadlineMicros, nextDrain) - Core.UnixMicros.Now(), 0, tickMicros))))
            {
                now = Core.UnixMicros.Now();
                if (now >= sink.NextDeadlineMicros || now >= nextDrain)
                {
                    if (TryDrain(ref sink)) failedDrains = 0;
                    else if (++failedDrains >= MaxConsecutiveDrainFailures)
                        throw new InvalidOperationException($"{failedDrains} drains of the eBPF flow map failed in a row");
                    nextDrain = now + drainMicros;
                }
                else sink.AdvanceTime(now);
            }
            TryDrain(ref sink);
        }
        finally
        {
            Volatile.Write(ref _running, 0);
        }
    }

    private bool TryDrain<TSink>(ref TSink sink) where TSink : ICaptureSink
    {
        try
        {
            DrainInto(sink);
            // A laptop's interfaces change while the capture runs (a dock, a VPN, Wi-Fi back): with the default
            // selection they are watched from the drain after they come up. After the drain, so the map swap that
            // closes an epoch is not delayed by the look at /sys.
            foreach (EbpfAttachedInterface added in AttachNewInterfaces())
                _diagnostics?.WriteLine($"flowmesh: capturing on {added.Name} too (it came up)");
            return true;
        }
        catch (Exception e) when (e is not ObjectDisposedException)
        {
            sink.ReadFailed(e);
            return false;
        }
    }

    /// <summary>
    /// With the default selection, hooks interfaces that came up since the last call (see
    /// <see cref="EbpfFlowCollector.AttachNewInterfaces"/>); call it with each drain. Returns the newly watched ones.
    /// </summary>
    public IReadOnlyList<EbpfAttachedInterface> AttachNewInterfaces() => _collector.AttachNewInterfaces();

    /// <summary>One drain: kernel flows into the meter, then the meter's clock to now. Public for callers with their own schedule.</summary>
    public void DrainInto(FlowMeter meter)
    {
        ArgumentNullException.ThrowIfNull(meter);
        DrainInto(new FlowMeterSink(meter));
    }

    /// <summary>One drain: kernel flows into the sink, then the sink's clock to now.</summary>
    public void DrainInto<TSink>(TSink sink) where TSink : ICaptureSink
    {
        ReadOnlySpan<KernelFlowEntry> drained = _collector.Drain();
        // One clock sample per drain: it follows wall-clock adjustments between drains, not within one.
        KernelClock clock = KernelClock.Now();
        if (_aggregates.Length < drained.Length) _aggregates = new FlowAggregate[Math.Max(drained.Length, _aggregates.Length * 2)];
        long packets = 0, bytes = 0;
        for (int i = 0; i < drained.Length; i++)
        {
            ref FlowAggregate aggregate = ref _aggregates[i];
            KernelFlowEntry entry = drained[i];
            aggregate.Key = entry.Key.ToFlowKey();
            KernelFlowValue value = entry.Value;
            Convert(value.LowToHigh, clock, ref aggregate.FromLow);
            Convert(value.HighToLow, clock, ref aggregate.FromHigh);
            packets += aggregate.Packets;
            bytes += aggregate.FromLow.Bytes + aggregate.FromHigh.Bytes;
        }
        sink.ObserveAggregates(_aggregates.AsSpan(0, drained.Length));
        Interlocked.Add(ref _packets, packets);
        Interlocked.Add(ref _bytes, bytes);
        Volatile.Write(ref _counters, _collector.ReadCounters());
        Volatile.Write(ref _lastDrainFill, _collector.MaxFlows > 0 ? (double)drained.Length / _collector.MaxFlows : 0);
        // Same clock as the converted kernel times (CLOCK_REALTIME), so idle time is measured consistently.
        sink.AdvanceTime(Core.UnixMicros.Now());
    }

    /// <summary>The fd of one of the flow program's maps by name, or -1 (the DNS source reads its ring buffer).</summary>
    internal int MapFd(string name) => _collector.MapFd(name);

    public void Dispose() => _collector.Dispose();

    private static void Convert(in KernelDirectionCounters kernel, KernelClock clock, ref FlowAggregateDirection direction)
    {
        direction.Packets = kernel.Packets;
        direction.Bytes = kernel.Bytes;
        direction.Segments = kernel.Segments;
        direction.TcpFlags = kernel.TcpFlags;
        direction.SentSynWithoutAck = kernel.SentSynWithoutAck;
        direction.IcmpType = kernel.IcmpType;
        direction.IcmpCode = kernel.IcmpCode;
        if (kernel.Packets > 0)
        {
            direction.FirstMicros = clock.ToUnixMicros(kernel.FirstNanoseconds);
            direction.LastMicros = clock.ToUnixMicros(kernel.LastNanoseconds);
        }
        else direction.FirstMicros = direction.LastMicros = 0;
    }
}
