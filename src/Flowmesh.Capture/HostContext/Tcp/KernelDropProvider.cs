using Flowmesh.Capture.Ebpf;
using Flowmesh.Core.HostContext;

namespace Flowmesh.Capture.HostContext.Tcp;

/// <summary>
/// Fills <see cref="FlowHostContextBuilder.AddDrop"/> from the kernel's (packet 5-tuple, reason) drop counts
/// (docs/host-context.md "Kernel drops"). The kernel key carries the reason, so one flow cannot be looked up directly:
/// the first Describe after <see cref="DrainInterval"/> moves the whole kernel map into a table here (the burst of
/// Describes at an epoch cut shares one drain), and each Describe takes its flow's counts from that table, in both
/// orientations. A flow's drops are therefore those counted since it was last described. Counts no flow claims within
/// the idle horizon are discarded and counted in <see cref="UnclaimedPackets"/>.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed unsafe class KernelDropProvider : IFlowContextProvider, IHostContextCounters
{
    /// <summary>Drops counted by the kernel within this long before a Describe may show in the next interval instead.</summary>
    public static readonly TimeSpan DrainInterval = TimeSpan.FromMilliseconds(100);

    private readonly TcpStatsHooks _hooks;
    private readonly DropReasonNames _names;
    private readonly Dictionary<KernelTuple, PendingDrops> _pending = [];
    private readonly List<KernelTuple> _expired = [];
    private readonly long _idleHorizonNanoseconds;
    private readonly long _drainIntervalNanoseconds = (long)DrainInterval.TotalNanoseconds;
    private long _nextDrainNanoseconds;
    private long _unclaimedPackets;
    private long _overflowPackets;
    private long _reportedPackets;

    public KernelDropProvider(TcpStatsHooks hooks, DropReasonNames names)
    {
        ArgumentNullException.ThrowIfNull(hooks);
        ArgumentNullException.ThrowIfNull(names);
        if (hooks.DropMapFd < 0) throw new ArgumentException("the hooks were opened without drops", nameof(hooks));
        _hooks = hooks;
        _names = names;
        _idleHorizonNanoseconds = (long)hooks.Options.IdleHorizon.TotalNanoseconds;
    }

    /// <summary>Dropped packets reported on flows.</summary>
    public long ReportedPackets => Interlocked.Read(ref _reportedPackets);

    /// <summary>Dropped packets of 5-tuples no flow asked about within the idle horizon (never captured, or forwarded elsewhere).</summary>
    public long UnclaimedPackets => Interlocked.Read(ref _unclaimedPackets);

    /// <summary>Dropped packets read from the kernel while this side's table already held as many 5-tuples as the kernel map.</summary>
    public long OverflowPackets => Interlocked.Read(ref _overflowPackets);

    public void AddTo(IDictionary<string, long> counters)
    {
        counters["drops.packets_reported"] = ReportedPackets;
        counters["drops.packets_unclaimed"] = UnclaimedPackets;
        counters["drops.packets_overflow"] = OverflowPackets;
    }

    public void Describe(in FlowContextKey flow, FlowHostContextBuilder context)
    {
        long now = Libc.NowNanoseconds(Libc.ClockMonotonic);
        if (now >= _nextDrainNanoseconds)
        {
            _nextDrainNanoseconds = now + _drainIntervalNanoseconds;
            Drain(now);
        }
        if (_pending.Count == 0) return;
        var forward = new KernelTuple(flow.Protocol, flow.SourceAddress, flow.SourcePort, flow.DestinationAddress, flow.DestinationPort);
        var backward = new KernelTuple(flow.Protocol, flow.DestinationAddress, flow.DestinationPort, flow.SourceAddress, flow.SourcePort);
        _pending.Remove(forward, out PendingDrops? sent);
        _pending.Remove(backward, out PendingDrops? received);
        if (sent is null && received is null) return;
        // Same reason in both directions: one line with the sum.
        if (sent is not null && received is not null)
        {
            foreach (var (reason, packets) in received.Reasons) sent.Add(reason, packets, 0);
        }
        foreach (var (reason, packets) in (sent ?? received)!.Reasons)
        {
            context.AddDrop(_names.NameOf(reason), packets);
            Interlocked.Add(ref _reportedPackets, packets);
        }
    }

    /// <summary>Moves every kernel entry into <see cref="_pending"/>, then forgets entries nobody claimed in time.</summary>
    private void Drain(long now)
    {
        KernelDropKey key;
        KernelDropCount count;
        int limit = _hooks.Options.MaxDropKeys * 2; // the kernel keeps adding while we drain: do not chase it forever
        for (int taken = 0; taken < limit; taken++)
        {
            if (Libbpf.bpf_map_get_next_key(_hooks.DropMapFd, null, &key) != 0) break;
            if (Libbpf.bpf_map_lookup_and_delete_elem(_hooks.DropMapFd, &key, &count) != 0) continue;
            if (!_pending.TryGetValue(key.Tuple, out PendingDrops? drops))
            {
                if (_pending.Count >= _hooks.Options.MaxDropKeys)
                {
                    Interlocked.Add(ref _overflowPackets, (long)count.Packets);
                    continue;
                }
                drops = new PendingDrops();
                _pending.Add(key.Tuple, drops);
            }
            drops.Add(key.Reason, (long)count.Packets, (long)count.LastNanoseconds);
        }
        long before = now - _idleHorizonNanoseconds;
        foreach (var (tuple, drops) in _pending)
        {
            if (drops.LastNanoseconds < before) _expired.Add(tuple);
        }
        foreach (KernelTuple tuple in _expired)
        {
            _pending.Remove(tuple, out PendingDrops? drops);
            Interlocked.Add(ref _unclaimedPackets, drops!.Reasons.Sum(r => r.Value));
        }
        _expired.Clear();
    }

    private sealed class PendingDrops
    {
        public List<KeyValuePair<uint, long>> Reasons { get; } = new(1);
        public long LastNanoseconds { get; private set; }

        public void Add(uint reason, long packets, long lastNanoseconds)
        {
            LastNanoseconds = Math.Max(LastNanoseconds, lastNanoseconds);
            for (int i = 0; i < Reasons.Count; i++)
            {
                if (Reasons[i].Key != reason) continue;
                Reasons[i] = new(reason, Reasons[i].Value + packets);
                return;
            }
            Reasons.Add(new(reason, packets));
        }
    }
}
