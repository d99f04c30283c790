using BenchmarkDotNet.Attributes;
using Flowmesh.Capture.HostContext.Processes;
using Flowmesh.Core.HostContext;
using Flowmesh.Core.Packets;

namespace Flowmesh.Benchmarks;

/// <summary>
/// Process attribution per flow lookup (the resolver asks for every delta and record), with the socket table in memory
/// so only the provider's own work is measured: an exact hit from the initiator's side (the common case), and a
/// responder behind a listener (five table lookups before the hit). The kernel map lookup adds one bpf() system call per
/// table lookup on top (see docs/host-context.md).
/// </summary>
[MemoryDiagnoser]
public class ProcessAttributionBenchmarks
{
    private const int Batch = 1024;
    private ProcessAttributionProvider _provider = null!;
    private FlowContextKey[] _clientFlows = null!;
    private FlowContextKey[] _serverFlows = null!;
    private readonly FlowHostContextBuilder _builder = new();

    [GlobalSetup]
    public void Setup()
    {
        var table = new InMemorySocketTable();
        var pc = IpAddress128.Parse("192.168.1.10");
        var server = IpAddress128.Parse("203.0.113.5");
        _clientFlows = new FlowContextKey[Batch];
        _serverFlows = new FlowContextKey[Batch];
        for (int i = 0; i < Batch; i++)
        {
            ushort port = (ushort)(40000 + i);
            table.Add(new SocketEndpoints(6, pc, port, server, 443), new SocketOwner(4242, "curl", 1000, 77, 0, AttributionSource.KernelSocketHook));
            _clientFlows[i] = new FlowContextKey(6, pc, port, server, 443, 0);
            _serverFlows[i] = new FlowContextKey(6, server, port, pc, 22, 0);
        }
        table.Add(new SocketEndpoints(6, default, 22, default, 0), new SocketOwner(900, "sshd", 0, 5, 0, AttributionSource.KernelSocketHook));
        _provider = new ProcessAttributionProvider(table);
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public ProcessIdentity? ClientFlow()
    {
        foreach (FlowContextKey flow in _clientFlows) _provider.Describe(flow, _builder);
        return _builder.Process;
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public ProcessIdentity? ServerFlowThroughListener()
    {
        foreach (FlowContextKey flow in _serverFlows) _provider.Describe(flow, _builder);
        return _builder.Process;
    }

    private sealed class InMemorySocketTable : ISocketTable
    {
        private readonly Dictionary<SocketEndpoints, SocketOwner> _owners = [];

        public string Description => "in memory";
        public bool KnowsRawSenders => true;
        public void Add(SocketEndpoints socket, SocketOwner owner) => _owners[socket] = owner;
        public bool TryFindOwner(in SocketEndpoints socket, out SocketOwner owner) => _owners.TryGetValue(socket, out owner);
    }
}
