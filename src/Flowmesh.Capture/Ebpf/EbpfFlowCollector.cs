using System.Runtime.InteropServices;

namespace Flowmesh.Capture.Ebpf;

/// <summary>
/// The Linux low-overhead capture: loads src/ebpf/flowmesh.bpf.c's TC program, hooks it into the chosen
/// interfaces' ingress and egress, and hands out the flows the kernel aggregated since the previous
/// <see cref="Drain"/> (call it every few seconds). Dispose detaches everything; so does process exit
/// (SIGTERM included). A start removes what a SIGKILLed predecessor left behind.
/// Thread-safe: <see cref="Drain"/>, <see cref="ReadCounters"/> and <see cref="Dispose"/> may race.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")] // netlink, tc/tcx, bpf(): Linux only (docs/windows.md)
public sealed unsafe class EbpfFlowCollector : IDisposable
{
    // src/ebpf/flowmesh_maps.h describes these maps.
    private static readonly string[] FlowMapNames = ["flowmesh_flows_a", "flowmesh_flows_b"];
    private const string ActiveFlowsMapName = "flowmesh_active_flows";
    private const string CounterMapName = "flowmesh_counters";

    private readonly Lock _gate = new();
    private readonly List<IHookAttachment> _attachments;
    private readonly FlowMapDrainer _drainer;
    private readonly int _counterMapFd;
    private readonly int _possibleCpus;
    private readonly List<string> _skipped;
    // Only the default selection ("every interface that is up") follows interfaces that appear later;
    // an explicit list means exactly those.
    private readonly bool _followNewInterfaces;
    private readonly EbpfAttachMode _attachMode;
    private readonly HashSet<int> _refused = [];
    private nint _object;

    private EbpfFlowCollector(nint bpfObject, FlowMapFds flowMaps, int counterMapFd, List<IHookAttachment> attachments,
        List<string> skipped, IReadOnlyList<string> removedLeftovers, int maxFlows, bool followNewInterfaces)
    {
        _object = bpfObject;
        _skipped = skipped;
        _followNewInterfaces = followNewInterfaces;
        // Keep using the hook kind that worked at start: a kernel without TCX stays without it.
        _attachMode = attachments[0].Interface.Mode;
        _counterMapFd = counterMapFd;
        _attachments = attachments;
        _drainer = new FlowMapDrainer(flowMaps);
        _possibleCpus = Math.Max(1, Libbpf.libbpf_num_possible_cpus());
        RemovedLeftovers = removedLeftovers;
        MaxFlows = maxFlows;
        AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
    }

    public IReadOnlyList<EbpfAttachedInterface> Interfaces
    {
        get
        {
            lock (_gate) return _attachments.Select(a => a.Interface).ToList();
        }
    }

    /// <summary>Interfaces of the default selection that were not watched, with the reason ("tun0: ...").</summary>
    public IReadOnlyList<string> Skipped
    {
        get
        {
            lock (_gate) return [.. _skipped];
        }
    }

    /// <summary>Leftover filters of a killed earlier agent removed at start ("eth0 ingress").</summary>
    public IReadOnlyList<string> RemovedLeftovers { get; }

    public int MaxFlows { get; }

    internal FlowMapDrainer Drainer => _drainer;

    /// <summary>
    /// The kernel's ids of this collector's loaded programs (as bpftool lists them), so a test can tell them from the
    /// programs other processes load from the same object meanwhile.
    /// </summary>
    internal IReadOnlyList<uint> ProgramIds
    {
        get
        {
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_object == 0, this);
                var ids = new List<uint>();
                foreach (string name in (string[])["flowmesh_in", "flowmesh_out", "flowmesh_in_l3", "flowmesh_out_l3"])
                {
                    uint? id = StaleFilterCleanup.ProgramId(ProgramFd(_object, name));
                    if (id is uint value) ids.Add(value);
                }
                return ids;
            }
        }
    }

    /// <summary>
    /// Loads and attaches. Throws <see cref="EbpfUnavailableException"/> when eBPF cannot be used here (fall back
    /// to libpcap), <see cref="CaptureSetupException"/> for a named interface that does not exist.
    /// </summary>
    public static EbpfFlowCollector Open(EbpfCaptureOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxFlows, 1);
        string? reason = EbpfAvailability.Check(options.ObjectPath);
        if (reason is not null) throw new EbpfUnavailableException(reason);

        var skipped = new List<string>();
        List<LinuxNetworkInterface> targets = SelectInterfaces(options.Interfaces, skipped);

        // libbpf's messages (netlink errors while probing for leftovers, the verifier log) are captured,
        // not printed: they belong in the exception when something fails and nowhere otherwise.
        lock (LibbpfLog.Gate)
        {
            LibbpfLog.Capture();
            IReadOnlyList<string> removed = StaleFilterCleanup.Run();
            nint bpfObject = Load(options);
            return AttachAll(bpfObject, options, targets, skipped, removed);
        }
    }

    private static EbpfFlowCollector AttachAll(nint bpfObject, EbpfCaptureOptions options, List<LinuxNetworkInterface> targets,
        List<string> skipped, IReadOnlyList<string> removed)
    {
        var attachments = new List<IHookAttachment>();
        try
        {
            var flowMaps = new FlowMapFds(
                Libbpf.bpf_map__fd(Libbpf.bpf_object__find_map_by_name(bpfObject, ActiveFlowsMapName)),
                Libbpf.bpf_map__fd(Libbpf.bpf_object__find_map_by_name(bpfObject, FlowMapNames[0])),
                Libbpf.bpf_map__fd(Libbpf.bpf_object__find_map_by_name(bpfObject, FlowMapNames[1])));
            nint counterMap = Libbpf.bpf_object__find_map_by_name(bpfObject, CounterMapName);
            if (counterMap == 0)
                throw new EbpfUnavailableException($"{options.ObjectPath} has no map {CounterMapName}: not this version's flow program");
            Attach(bpfObject, targets, options.AttachMode, options.Interfaces is not null, attachments, skipped);
            if (attachments.Count == 0)
                throw new EbpfUnavailableException(skipped.Count > 0 ? skipped[^1] : "the flow program could not be attached anywhere");
            return new EbpfFlowCollector(bpfObject, flowMaps, Libbpf.bpf_map__fd(counterMap), attachments, skipped, removed,
                options.MaxFlows, followNewInterfaces: options.Interfaces is null);
        }
        catch
        {
            foreach (IHookAttachment attachment in attachments) attachment.Dispose();
            Libbpf.bpf_object__close(bpfObject);
            throw;
        }
    }

    /// <summary>The flows aggregated since the previous drain, removed from the kernel map. Valid until the next call.</summary>
    public ReadOnlySpan<KernelFlowEntry> Drain()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_object == 0, this);
            return _drainer.Drain();
        }
    }

    /// <summary>The fd of one of the program's maps by name (the DNS ring buffer), or -1 when this object has no such map.</summary>
    internal int MapFd(string name)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_object == 0, this);
            nint map = Libbpf.bpf_object__find_map_by_name(_object, name);
            return map == 0 ? -1 : Libbpf.bpf_map__fd(map);
        }
    }

    public KernelCounters ReadCounters()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_object == 0, this);
            Span<long> totals = stackalloc long[(int)KernelCounterIndex.Count];
            ulong* perCpu = stackalloc ulong[_possibleCpus];
            for (uint index = 0; index < (uint)KernelCounterIndex.Count; index++)
            {
                uint key = index;
                if (Libbpf.bpf_map_lookup_elem(_counterMapFd, &key, perCpu) != 0) continue;
                for (int cpu = 0; cpu < _possibleCpus; cpu++) totals[(int)index] += (long)perCpu[cpu];
            }
            return new KernelCounters
            {
                MapFullMisses = totals[(int)KernelCounterIndex.MapFull],
                UpdateFailures = totals[(int)KernelCounterIndex.UpdateFailed],
                NotIp = totals[(int)KernelCounterIndex.NotIp],
                BadIpHeader = totals[(int)KernelCounterIndex.BadIpHeader],
                TruncatedTransport = totals[(int)KernelCounterIndex.TruncatedTransport],
                Ipv6HeaderChainTooLong = totals[(int)KernelCounterIndex.Ipv6HeaderChain],
            };
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_object == 0) return;
            foreach (IHookAttachment attachment in _attachments) attachment.Dispose();
            _drainer.Dispose();
            Libbpf.bpf_object__close(_object); // closes the program and map fds: the kernel frees them
            _object = 0;
        }
        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
    }

    private void OnProcessExit(object? sender, EventArgs e) => Dispose();

    private static List<LinuxNetworkInterface> SelectInterfaces(IReadOnlyList<string>? names, List<string> skipped)
    {
        var targets = new List<LinuxNetworkInterface>();
        if (names is not null)
        {
            foreach (string name in names.Distinct(StringComparer.Ordinal))
            {
                LinuxNetworkInterface target = LinuxNetworkInterface.TryRead(name)
                    ?? throw new CaptureSetupException($"no network interface named '{name}' (see ip link)");
                if (!target.HasKnownFraming)
                    throw new CaptureSetupException($"interface '{name}' has link type {target.HardwareType}; eBPF capture understands Ethernet and raw-IP interfaces only (use libpcap for it)");
                targets.Add(target);
            }
            return targets;
        }
        foreach (LinuxNetworkInterface candidate in LinuxNetworkInterface.ReadAll())
        {
            if (candidate.IsLoopback || !candidate.IsUp) continue;
            if (!candidate.HasKnownFraming)
            {
                skipped.Add($"{candidate.Name}: link type {candidate.HardwareType} is neither Ethernet nor raw IP");
                continue;
            }
            targets.Add(candidate);
        }
        if (targets.Count == 0)
            throw new CaptureSetupException("no network interface to watch: none is up besides loopback");
        return targets;
    }

    /// <summary>Call with <see cref="LibbpfLog.Gate"/> held and a capture started.</summary>
    private static nint Load(EbpfCaptureOptions options)
    {
        nint bpfObject = Libbpf.bpf_object__open_file(options.ObjectPath, 0);
        if (bpfObject == 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            string log = LibbpfLog.Text();
            // libbpf does not always set errno here; its own last message then says what was wrong.
            string why = errno != 0 ? Errno.Describe(errno)
                : log.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "unknown error";
            throw new EbpfUnavailableException($"libbpf could not open {options.ObjectPath}: {why}", NullIfEmpty(log));
        }
        foreach (string name in FlowMapNames)
        {
            nint flowMap = Libbpf.bpf_object__find_map_by_name(bpfObject, name);
            if (flowMap == 0 || Libbpf.bpf_map__set_max_entries(flowMap, (uint)options.MaxFlows) != 0
                || Libbpf.bpf_object__find_map_by_name(bpfObject, ActiveFlowsMapName) == 0)
            {
                Libbpf.bpf_object__close(bpfObject);
                throw new EbpfUnavailableException($"{options.ObjectPath} has no map {name} or {ActiveFlowsMapName}: not this version's flow program");
            }
        }
        int loaded = Libbpf.bpf_object__load(bpfObject);
        if (loaded != 0)
        {
            string log = LibbpfLog.Text();
            Libbpf.bpf_object__close(bpfObject);
            throw new EbpfUnavailableException(
                $"the kernel refused the eBPF flow program: {Errno.Describe(loaded)}{VerifierVerdict(log)}", NullIfEmpty(log));
        }
        return bpfObject;
    }

    /// <summary>The verifier's last words before the end of its log, which name the rejected instruction's problem.</summary>
    private static string VerifierVerdict(string log)
    {
        int end = log.LastIndexOf("-- END PROG LOAD LOG --", StringComparison.Ordinal);
        if (end < 0) return "";
        string[] lines = log[..end].Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        string? verdict = lines.LastOrDefault(l => !l.StartsWith("processed ", StringComparison.Ordinal) && !l.StartsWith("verification time", StringComparison.Ordinal));
        return verdict is null ? "" : $": {verdict}";
    }

    private static string? NullIfEmpty(string text) => text.Length == 0 ? null : text;

    private static void Attach(nint bpfObject, List<LinuxNetworkInterface> targets, EbpfAttachMode mode, bool explicitList,
        List<IHookAttachment> attachments, List<string> skipped)
    {
        int ethernetIn = ProgramFd(bpfObject, "flowmesh_in"), ethernetOut = ProgramFd(bpfObject, "flowmesh_out");
        int rawIn = ProgramFd(bpfObject, "flowmesh_in_l3"), rawOut = ProgramFd(bpfObject, "flowmesh_out_l3");
        bool tcxWorks = mode != EbpfAttachMode.Netlink;

        foreach (LinuxNetworkInterface target in targets)
        {
            bool ethernet = target.HardwareType == LinuxNetworkInterface.HardwareEthernet;
            int inFd = ethernet ? ethernetIn : rawIn, outFd = ethernet ? ethernetOut : rawOut;
            int result;
            IHookAttachment? attachment = null;
            if (tcxWorks)
            {
                result = TcxHookAttachment.TryAttach(target, inFd, outFd, out TcxHookAttachment? tcx);
                attachment = tcx;
                // A kernel without TCX (before 6.6) rejects the attach type as invalid.
                if (result is -Errno.InvalidArgument or -Errno.NotSupported or -Errno.KernelNotSupported && mode == EbpfAttachMode.Auto)
                    tcxWorks = false;
            }
            else result = -Errno.NotSupported;
            if (!tcxWorks)
            {
                result = NetlinkFilterAttachment.TryAttach(target, inFd, outFd, out NetlinkFilterAttachment? filter);
                attachment = filter;
            }
            if (result == 0 && attachment is not null)
            {
                attachments.Add(attachment);
                continue;
            }
            string problem = $"attaching the flow program to {target.Name} ({(tcxWorks ? "TCX" : "tc clsact")}) failed: {Errno.Describe(result)}";
            if (explicitList) throw new EbpfUnavailableException(problem);
            skipped.Add(problem);
        }
    }

    /// <summary>
    /// With the default selection, hooks interfaces that came up since the start or the last call (a
    /// docking station, a VPN, a new VLAN): a laptop's interfaces change while the agent runs. Returns
    /// the newly watched ones. An interface that could not be hooked is reported in <see cref="Skipped"/>
    /// once and not tried again.
    /// </summary>
    public IReadOnlyList<EbpfAttachedInterface> AttachNewInterfaces()
    {
        if (!_followNewInterfaces) return [];
        lock (_gate)
        {
            if (_object == 0) return [];
            var watched = _attachments.Select(a => a.Interface.Index).ToHashSet();
            var fresh = new List<LinuxNetworkInterface>();
            foreach (LinuxNetworkInterface candidate in LinuxNetworkInterface.ReadAll())
            {
                if (candidate.IsLoopback || !candidate.IsUp || watched.Contains(candidate.Index) || !_refused.Add(candidate.Index)) continue;
                if (candidate.HasKnownFraming) fresh.Add(candidate);
                else _skipped.Add($"{candidate.Name}: link type {candidate.HardwareType} is neither Ethernet nor raw IP");
            }
            if (fresh.Count == 0) return [];
            var added = new List<IHookAttachment>();
            lock (LibbpfLog.Gate)
            {
                LibbpfLog.Capture();
                Attach(_object, fresh, _attachMode, explicitList: false, added, _skipped);
            }
            foreach (IHookAttachment attachment in added) _refused.Remove(attachment.Interface.Index);
            _attachments.AddRange(added);
            return added.Select(a => a.Interface).ToList();
        }
    }

    private static int ProgramFd(nint bpfObject, string name)
    {
        nint program = Libbpf.bpf_object__find_program_by_name(bpfObject, name);
        int fd = program == 0 ? -1 : Libbpf.bpf_program__fd(program);
        return fd >= 0 ? fd : throw new EbpfUnavailableException($"the eBPF object has no program {name}: not this version's flow program");
    }
}
