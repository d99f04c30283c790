using System.Runtime.InteropServices;
using Flowmesh.Capture.Ebpf;

namespace Flowmesh.Capture.HostContext.Tcp;

/// <summary>
/// Loads src/ebpf/tcp_stats.bpf.c and attaches its hooks: fentry/tcp_rcv_established (RTT), tp_btf/tcp_retransmit_skb
/// and tp_btf/kfree_skb (drop reasons). Independent of the packet capture (TC program or libpcap). Dispose detaches.
/// The map fds stay valid until Dispose; the providers that read them are owned by the same session.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed unsafe class TcpStatsHooks : IDisposable, IHostContextCounters
{
    // src/ebpf/tcp_stats_maps.h describes these maps and programs.
    private const string TcpMapName = "flowmesh_tcp_paths";
    private const string DropMapName = "flowmesh_drops";
    private const string CounterMapName = "flowmesh_hook_counters";
    private const int CounterCount = 6;
    // The RTT hook, best first: fentry, else the tcp_probe tracepoint at the same spot (src/ebpf/tcp_stats.bpf.c).
    private static readonly (string Program, string Hook)[] RttHooks =
        [("flowmesh_tcp_rtt", "fentry/tcp_rcv_established"), ("flowmesh_tcp_rtt_probe", "tracepoint tcp/tcp_probe")];
    private const string RetransmitProgram = "flowmesh_tcp_retransmit";
    private static readonly string[] DropPrograms = ["flowmesh_kfree_skb"];

    private readonly Lock _gate = new();
    private readonly List<nint> _links;
    private readonly int _counterMapFd;
    private readonly int _possibleCpus;
    private nint _object;

    private TcpStatsHooks(nint bpfObject, List<nint> links, TcpStatsHooksOptions options, string? rttHook)
    {
        RttHook = rttHook;
        _object = bpfObject;
        _links = links;
        Options = options;
        TcpMapFd = options.Tcp ? MapFd(bpfObject, TcpMapName) : -1;
        DropMapFd = options.Drops ? MapFd(bpfObject, DropMapName) : -1;
        _counterMapFd = MapFd(bpfObject, CounterMapName);
        _possibleCpus = Math.Max(1, Libbpf.libbpf_num_possible_cpus());
        AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
    }

    public TcpStatsHooksOptions Options { get; }

    /// <summary>Where RTT is sampled: "fentry/tcp_rcv_established", or "tracepoint tcp/tcp_probe" where fentry was refused; null without TCP.</summary>
    public string? RttHook { get; }

    /// <summary>Why fentry was not used for RTT (the kernel's refusal), or null.</summary>
    public string? FentryRefusal { get; private init; }

    internal int TcpMapFd { get; }
    internal int DropMapFd { get; }

    /// <summary>Throws <see cref="EbpfUnavailableException"/> when the hooks cannot be loaded or attached here.</summary>
    public static TcpStatsHooks Open(TcpStatsHooksOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxTcpPaths, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxDropKeys, 1);
        if (!options.Tcp && !options.Drops) throw new ArgumentException("neither TCP nor drop hooks were asked for", nameof(options));
        string? reason = EbpfAvailability.Check(options.ObjectPath);
        // The capture's own check, worded for these hooks: "eBPF capture unavailable" is said once by the capture.
        if (reason is not null)
            throw new EbpfUnavailableException(reason.Replace("eBPF capture needs", "the hooks need", StringComparison.Ordinal)
                .Replace("for eBPF capture", "for the hooks", StringComparison.Ordinal)
                .Replace("the eBPF flow program", "the hook object", StringComparison.Ordinal));

        if (!options.Tcp) return Load(options, rttHook: -1);
        try
        {
            return Load(options, rttHook: 0);
        }
        catch (EbpfUnavailableException fentry)
        {
            return Load(options, rttHook: 1, fentryRefusal: fentry.Message.Split('\n')[0]);
        }
    }

    /// <param name="rttHook">Index into <see cref="RttHooks"/>; -1: no TCP programs.</param>
    private static TcpStatsHooks Load(TcpStatsHooksOptions options, int rttHook, string? fentryRefusal = null)
    {
        lock (LibbpfLog.Gate)
        {
            LibbpfLog.Capture();
            nint bpfObject = Libbpf.bpf_object__open_file(options.ObjectPath, 0);
            if (bpfObject == 0)
                throw new EbpfUnavailableException($"could not open {options.ObjectPath}: {Errno.Describe(Marshal.GetLastPInvokeError())}");
            var links = new List<nint>();
            try
            {
                // Programs not asked for are not even loaded: a kernel without fentry can still report drops.
                var wanted = new List<string>();
                for (int i = 0; i < RttHooks.Length; i++)
                {
                    SetAutoload(bpfObject, RttHooks[i].Program, i == rttHook);
                    if (i == rttHook) wanted.Add(RttHooks[i].Program);
                }
                SetAutoload(bpfObject, RetransmitProgram, options.Tcp);
                if (options.Tcp) wanted.Add(RetransmitProgram);
                foreach (string name in DropPrograms) SetAutoload(bpfObject, name, options.Drops);
                if (options.Drops) wanted.AddRange(DropPrograms);
                SetMaxEntries(bpfObject, TcpMapName, options.MaxTcpPaths);
                SetMaxEntries(bpfObject, DropMapName, options.MaxDropKeys);
                int loaded = Libbpf.bpf_object__load(bpfObject);
                if (loaded != 0)
                    throw new EbpfUnavailableException($"the kernel refused the host-context hooks: {Errno.Describe(loaded)}{LogTail()}");
                foreach (string name in wanted)
                {
                    nint link = Libbpf.bpf_program__attach(Program(bpfObject, name));
                    if (link == 0)
                        throw new EbpfUnavailableException($"could not attach {name}: {Errno.Describe(Marshal.GetLastPInvokeError())}{LogTail()}");
                    links.Add(link);
                }
                return new TcpStatsHooks(bpfObject, links, options, rttHook >= 0 ? RttHooks[rttHook].Hook : null) { FentryRefusal = fentryRefusal };
            }
            catch
            {
                foreach (nint link in links) Libbpf.bpf_link__destroy(link);
                Libbpf.bpf_object__close(bpfObject);
                throw;
            }
        }
    }

    public void AddTo(IDictionary<string, long> counters)
    {
        TcpStatsHookCounters c;
        try
        {
            c = ReadCounters();
        }
        catch (ObjectDisposedException)
        {
            return; // stopped with the capture: nothing to report
        }
        counters["tcp.map_full_misses"] = c.TcpMapFullMisses;
        counters["tcp.update_failures"] = c.TcpUpdateFailures;
        counters["drops.map_full_misses"] = c.DropMapFullMisses;
        counters["drops.update_failures"] = c.DropUpdateFailures;
        counters["drops.frees_not_kept"] = c.FreesNotKept;
        counters["drops.without_ip_header"] = c.DropsWithoutIpHeader;
    }

    /// <summary>What the hooks saw but did not keep per flow, summed over CPUs.</summary>
    public TcpStatsHookCounters ReadCounters()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_object == 0, this);
            Span<long> totals = stackalloc long[CounterCount];
            ulong* perCpu = stackalloc ulong[_possibleCpus];
            for (uint index = 0; index < CounterCount; index++)
            {
                uint key = index;
                if (Libbpf.bpf_map_lookup_elem(_counterMapFd, &key, perCpu) != 0) continue;
                for (int cpu = 0; cpu < _possibleCpus; cpu++) totals[(int)index] += (long)perCpu[cpu];
            }
            return new TcpStatsHookCounters(totals[0], totals[1], totals[2], totals[3], totals[4], totals[5]);
        }
    }

    /// <summary>The TCP map's entries as they are, without taking them (tests, diagnostics).</summary>
    internal List<KeyValuePair<KernelTuple, KernelTcpPath>> PeekTcpPaths()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_object == 0, this);
            return KernelMapSweep.Entries<KernelTuple, KernelTcpPath>(TcpMapFd, Options.MaxTcpPaths);
        }
    }

    /// <summary>
    /// Times the kernel skipped one of these programs because it was already running on that CPU (a tracepoint hit
    /// from an interrupt while the program ran in process context): those events are lost to every count here.
    /// </summary>
    public long RecursionMisses
    {
        get
        {
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_object == 0, this);
                long total = 0;
                byte* info = stackalloc byte[ProgramInfoSize];
                foreach (var (program, _) in RttHooks.Append((RetransmitProgram, "")).Concat(DropPrograms.Select(p => (p, ""))))
                {
                    int fd = Libbpf.bpf_program__fd(Libbpf.bpf_object__find_program_by_name(_object, program));
                    if (fd < 0) continue; // not loaded
                    new Span<byte>(info, ProgramInfoSize).Clear();
                    uint length = ProgramInfoSize;
                    if (Libbpf.bpf_obj_get_info_by_fd(fd, info, &length) == 0 && length >= ProgramInfoRecursionMissesOffset + 8)
                        total += (long)*(ulong*)(info + ProgramInfoRecursionMissesOffset);
                }
                return total;
            }
        }
    }

    // struct bpf_prog_info (include/uapi/linux/bpf.h): recursion_misses since Linux 5.12.
    private const int ProgramInfoSize = 256;
    private const int ProgramInfoRecursionMissesOffset = 208;

    /// <summary>The drop map's entries as they are, without taking them (tests, diagnostics).</summary>
    internal List<KeyValuePair<KernelDropKey, KernelDropCount>> PeekDrops()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_object == 0, this);
            return KernelMapSweep.Entries<KernelDropKey, KernelDropCount>(DropMapFd, Options.MaxDropKeys);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_object == 0) return;
            foreach (nint link in _links) Libbpf.bpf_link__destroy(link);
            _links.Clear();
            Libbpf.bpf_object__close(_object);
            _object = 0;
        }
        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
    }

    private void OnProcessExit(object? sender, EventArgs e) => Dispose();

    private static string LogTail()
    {
        string log = LibbpfLog.Text().Trim();
        return log.Length == 0 ? "" : "\n" + (log.Length > 4000 ? log[^4000..] : log);
    }

    private static nint Program(nint bpfObject, string name)
    {
        nint program = Libbpf.bpf_object__find_program_by_name(bpfObject, name);
        return program != 0 ? program : throw new EbpfUnavailableException($"the hook object has no program {name}: not this version's tcp_stats.bpf.o");
    }

    private static void SetAutoload(nint bpfObject, string name, bool load)
    {
        int result = Libbpf.bpf_program__set_autoload(Program(bpfObject, name), load);
        if (result != 0) throw new EbpfUnavailableException($"could not choose whether to load {name}: {Errno.Describe(result)}");
    }

    private static void SetMaxEntries(nint bpfObject, string mapName, int maxEntries)
    {
        nint map = Libbpf.bpf_object__find_map_by_name(bpfObject, mapName);
        if (map == 0) throw new EbpfUnavailableException($"the hook object has no map {mapName}: not this version's tcp_stats.bpf.o");
        int result = Libbpf.bpf_map__set_max_entries(map, (uint)maxEntries);
        if (result != 0) throw new EbpfUnavailableException($"could not size {mapName}: {Errno.Describe(result)}");
    }

    private static int MapFd(nint bpfObject, string mapName) =>
        Libbpf.bpf_map__fd(Libbpf.bpf_object__find_map_by_name(bpfObject, mapName));
}
