using System.Runtime.InteropServices;
using Flowmesh.Capture.Ebpf;
using Flowmesh.Core.HostContext;

namespace Flowmesh.Capture.HostContext.Processes;

/// <summary>
/// Loads src/ebpf/process.bpf.c's socket hooks (BTF tracepoints inet_sock_set_state, sock_send_length,
/// sock_recv_length, net_dev_queue) and answers owner lookups from their LRU map. Tracepoints this kernel does not
/// have (sock_send_length and sock_recv_length are absent in 6.2 and present in 6.5) are left out and listed in <see cref="Missing"/>; the
/// TCP state tracepoint is required. Dispose detaches all of them.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed unsafe class ProcessSocketHooks : ISocketTable, IDisposable, IHostContextCounters
{
    private const string SocketMapName = "flowmesh_process_sockets";
    private const string CounterMapName = "flowmesh_process_counters";

    /// <summary>FLOWMESH_PROCESS_COUNTER_COUNT of src/ebpf/process_maps.h (LayoutAgreementTests checks they agree).</summary>
    internal const int CounterCount = 3;

    /// <summary>The socket map's default capacity: FLOWMESH_PROCESS_DEFAULT_MAX_SOCKETS (LayoutAgreementTests checks it).</summary>
    public const int DefaultMaxSockets = 65536;

    /// <summary>Program name in process.bpf.c, the tracepoint it hooks, and whether attribution is useless without it.</summary>
    private static readonly (string Program, string Tracepoint, bool Required)[] Hooks =
    [
        ("flowmesh_tcp_state", "inet_sock_set_state", true),
        ("flowmesh_send", "sock_send_length", false),
        ("flowmesh_receive", "sock_recv_length", false),
        ("flowmesh_device_queue", "net_dev_queue", false),
    ];

    private readonly Lock _gate = new();
    // Program names decoded once: a lookup per flow would otherwise allocate the same string again and again.
    private readonly Dictionary<(ulong, ulong), string> _commands = [];
    private const int MaxCommands = 4096;
    private readonly List<nint> _links;
    private readonly int _socketMapFd;
    private readonly int _counterMapFd;
    private readonly int _possibleCpus;
    private nint _object;

    private ProcessSocketHooks(nint bpfObject, List<nint> links, IReadOnlyList<string> attached, IReadOnlyList<string> missing)
    {
        _object = bpfObject;
        _links = links;
        Attached = attached;
        Missing = missing;
        _socketMapFd = Libbpf.bpf_map__fd(Libbpf.bpf_object__find_map_by_name(bpfObject, SocketMapName));
        _counterMapFd = Libbpf.bpf_map__fd(Libbpf.bpf_object__find_map_by_name(bpfObject, CounterMapName));
        _possibleCpus = Math.Max(1, Libbpf.libbpf_num_possible_cpus());
        AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
    }

    /// <summary>process.bpf.o next to the Flowmesh assemblies.</summary>
    public static string DefaultObjectPath => Path.Combine(AppContext.BaseDirectory, "process.bpf.o");

    /// <summary>Tracepoints hooked.</summary>
    public IReadOnlyList<string> Attached { get; }

    /// <summary>Tracepoints not hooked, with why ("sock_send_length: not in this kernel").</summary>
    public IReadOnlyList<string> Missing { get; }

    public string Description =>
        $"eBPF socket hooks ({string.Join(", ", Attached)})" + (Missing.Count == 0 ? "" : $"; not hooked: {string.Join("; ", Missing)}");

    public bool KnowsRawSenders => true;

    /// <summary>Map entries the hooks wrote (a new owner, or one seen again after a second).</summary>
    public long Recorded => ReadCounter(0);

    public void AddTo(IDictionary<string, long> counters)
    {
        counters["process.hook_sockets_recorded"] = Recorded;
        counters["process.hook_update_failures"] = UpdateFailures;
        counters["process.hook_unparsed_sends"] = UnparsedSends;
    }

    /// <summary>Map updates the kernel refused (the LRU map evicts instead of refusing, so this stays 0 unless memory runs out).</summary>
    public long UpdateFailures => ReadCounter(1);

    /// <summary>Packets of raw, packet or ping sockets whose IP header could not be read at the device.</summary>
    public long UnparsedSends => ReadCounter(2);

    /// <summary>Loads and attaches. Throws <see cref="EbpfUnavailableException"/> when the hooks cannot work here.</summary>
    public static ProcessSocketHooks Open(string? objectPath = null, int maxSockets = DefaultMaxSockets)
    {
        objectPath ??= DefaultObjectPath;
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSockets, 16);
        string? reason = EbpfAvailability.Check(objectPath);
        if (reason is not null) throw new EbpfUnavailableException(reason);
        if (!File.Exists("/sys/kernel/btf/vmlinux"))
            throw new EbpfUnavailableException("the kernel has no BTF (/sys/kernel/btf/vmlinux): the BTF tracepoint hooks need it");
        // Each tracepoint has a __traceiter_NAME function; libbpf refuses the whole object when one target is missing.
        HashSet<string>? present = KernelFunctions.Present(Hooks.Select(h => "__traceiter_" + h.Tracepoint));

        lock (LibbpfLog.Gate)
        {
            LibbpfLog.Capture();
            nint bpfObject = Libbpf.bpf_object__open_file(objectPath, 0);
            if (bpfObject == 0)
                throw new EbpfUnavailableException($"libbpf could not open {objectPath}: {Errno.Describe(Marshal.GetLastPInvokeError())}", NullIfEmpty(LibbpfLog.Text()));
            var links = new List<nint>();
            try
            {
                nint socketMap = Libbpf.bpf_object__find_map_by_name(bpfObject, SocketMapName);
                if (socketMap == 0 || Libbpf.bpf_object__find_map_by_name(bpfObject, CounterMapName) == 0)
                    throw new EbpfUnavailableException($"{objectPath} has no map {SocketMapName} or {CounterMapName}: not this version's process program");
                Libbpf.bpf_map__set_max_entries(socketMap, (uint)maxSockets);

                var missing = new List<string>();
                var wanted = new List<(nint Program, string Function)>();
                foreach (var (name, function, required) in Hooks)
                {
                    nint program = Libbpf.bpf_object__find_program_by_name(bpfObject, name);
                    if (program == 0) throw new EbpfUnavailableException($"{objectPath} has no program {name}: not this version's process program");
                    if (present is not null && !present.Contains("__traceiter_" + function))
                    {
                        if (required) throw new EbpfUnavailableException($"the kernel has no tracepoint {function} to hook");
                        Libbpf.bpf_program__set_autoload(program, false);
                        missing.Add($"{function}: not in this kernel");
                        continue;
                    }
                    wanted.Add((program, function));
                }
                int loaded = Libbpf.bpf_object__load(bpfObject);
                if (loaded != 0)
                    throw new EbpfUnavailableException($"the kernel refused the process hooks: {Errno.Describe(loaded)}", NullIfEmpty(LibbpfLog.Text()));

                var attached = new List<string>();
                foreach (var (program, function) in wanted)
                {
                    nint link = Libbpf.bpf_program__attach(program);
                    if (link == 0)
                    {
                        string why = Errno.Describe(Marshal.GetLastPInvokeError());
                        if (Hooks.First(h => h.Tracepoint == function).Required)
                            throw new EbpfUnavailableException($"attaching to {function} failed: {why}", NullIfEmpty(LibbpfLog.Text()));
                        missing.Add($"{function}: {why}");
                        continue;
                    }
                    links.Add(link);
                    attached.Add(function);
                }
                return new ProcessSocketHooks(bpfObject, links, attached, missing);
            }
            catch
            {
                foreach (nint link in links) Libbpf.bpf_link__destroy(link);
                Libbpf.bpf_object__close(bpfObject);
                throw;
            }
        }
    }

    public bool TryFindOwner(in SocketEndpoints socket, out SocketOwner owner)
    {
        KernelProcessKey key = KernelProcessKey.From(socket);
        KernelProcessValue value;
        lock (_gate)
        {
            if (_object == 0 || Libbpf.bpf_map_lookup_elem(_socketMapFd, &key, &value) != 0)
            {
                owner = default;
                return false;
            }
        }
        AttributionSource source = value.Hook is KernelProcessHook.RawSend or KernelProcessHook.PacketSend
            ? AttributionSource.PacketSocketOwner : AttributionSource.KernelSocketHook;
        owner = new SocketOwner(value.ProcessId, CommandOf(value), value.UserId, value.CgroupId, value.NetworkNamespace, source);
        return true;
    }

    private string CommandOf(in KernelProcessValue value)
    {
        lock (_gate)
        {
            if (_commands.TryGetValue(value.CommandBits, out string? command)) return command;
            if (_commands.Count >= MaxCommands) _commands.Clear();
            command = value.Command;
            _commands[value.CommandBits] = command;
            return command;
        }
    }

    private long ReadCounter(uint index)
    {
        ulong* perCpu = stackalloc ulong[_possibleCpus];
        lock (_gate)
        {
            if (_object == 0 || Libbpf.bpf_map_lookup_elem(_counterMapFd, &index, perCpu) != 0) return 0;
        }
        long total = 0;
        for (int cpu = 0; cpu < _possibleCpus; cpu++) total += (long)perCpu[cpu];
        return total;
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

    private static string? NullIfEmpty(string text) => text.Length == 0 ? null : text;
}
