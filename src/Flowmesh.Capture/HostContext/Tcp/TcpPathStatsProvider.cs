using Flowmesh.Capture.Ebpf;
using Flowmesh.Core.HostContext;

namespace Flowmesh.Capture.HostContext.Tcp;

/// <summary>
/// Fills <see cref="FlowHostContextBuilder.Tcp"/> from the kernel's per-socket entries (docs/host-context.md "TCP RTT and
/// retransmissions"). Each Describe TAKES the socket's entry (lookup and delete): the kernel starts a fresh one at the
/// socket's next segment, so min, max and retransmits cover exactly the interval since the flow was last described,
/// which is one epoch for the agent and one record for <c>flowmesh flows</c>.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed unsafe class TcpPathStatsProvider : IFlowContextProvider, IHostContextCounters
{
    private const byte Tcp = 6;
    private readonly TcpStatsHooks _hooks;
    private readonly long _idleHorizonNanoseconds;
    private long _nextSweepNanoseconds;
    private long _described;
    private long _swept;

    public TcpPathStatsProvider(TcpStatsHooks hooks)
    {
        ArgumentNullException.ThrowIfNull(hooks);
        if (hooks.TcpMapFd < 0) throw new ArgumentException("the hooks were opened without TCP", nameof(hooks));
        _hooks = hooks;
        _idleHorizonNanoseconds = (long)hooks.Options.IdleHorizon.TotalNanoseconds;
        _nextSweepNanoseconds = Libc.NowNanoseconds(Libc.ClockMonotonic) + _idleHorizonNanoseconds / 2;
    }

    /// <summary>Flows that got TCP stats.</summary>
    public long Described => Interlocked.Read(ref _described);

    /// <summary>Socket entries removed because no flow asked for them within the idle horizon.</summary>
    public long SweptIdleEntries => Interlocked.Read(ref _swept);

    public void AddTo(IDictionary<string, long> counters)
    {
        counters["tcp.flows_described"] = Described;
        counters["tcp.idle_entries_swept"] = SweptIdleEntries;
    }

    public void Describe(in FlowContextKey flow, FlowHostContextBuilder context)
    {
        if (flow.Protocol != Tcp) return;
        var initiator = new KernelTuple(Tcp, flow.SourceAddress, flow.SourcePort, flow.DestinationAddress, flow.DestinationPort);
        var responder = new KernelTuple(Tcp, flow.DestinationAddress, flow.DestinationPort, flow.SourceAddress, flow.SourcePort);
        KernelTcpPath fromInitiator, fromResponder;
        // Both ends are on this PC for loopback and local namespaces: take both so neither lingers, report the
        // initiator's socket (the one that usually sends the data).
        bool hasInitiator = Libbpf.bpf_map_lookup_and_delete_elem(_hooks.TcpMapFd, &initiator, &fromInitiator) == 0;
        bool hasResponder = Libbpf.bpf_map_lookup_and_delete_elem(_hooks.TcpMapFd, &responder, &fromResponder) == 0;
        SweepWhenDue();
        if (!hasInitiator && !hasResponder) return;
        KernelTcpPath path = hasInitiator ? fromInitiator : fromResponder;
        context.Tcp = new TcpPathStats(Clamp(path.SmoothedRttMicros), Clamp(path.MinSmoothedRttMicros), Clamp(path.MaxSmoothedRttMicros),
            (long)Math.Min(path.Retransmits, long.MaxValue));
        Interlocked.Increment(ref _described);
    }

    private static int Clamp(uint micros) => (int)Math.Min(micros, int.MaxValue);

    /// <summary>Removes entries of sockets no flow asked about (interfaces the capture does not watch) at most twice per horizon.</summary>
    private void SweepWhenDue()
    {
        long now = Libc.NowNanoseconds(Libc.ClockMonotonic);
        if (now < _nextSweepNanoseconds) return;
        _nextSweepNanoseconds = now + _idleHorizonNanoseconds / 2;
        Interlocked.Add(ref _swept, KernelMapSweep.RemoveIdle<KernelTuple, KernelTcpPath>(_hooks.TcpMapFd, _hooks.Options.MaxTcpPaths,
            static (in KernelTcpPath p) => (long)p.LastNanoseconds, now - _idleHorizonNanoseconds));
    }
}
