using BenchmarkDotNet.Attributes;
using Flowmesh.Core.Flows;
using Flowmesh.Core.Packets;

namespace Flowmesh.Benchmarks;

/// <summary>
/// Flow table cost per packet: updating flows it already holds (the common case), and a stream of
/// new flows with the table at its cap, where every packet evicts one flow and emits a record.
/// </summary>
[MemoryDiagnoser]
public class FlowTableBenchmarks
{
    private const int Batch = 4096;
    private const int Cap = 10_000;
    // More distinct keys than the cap, visited in a cycle: LRU misses on every packet.
    private const int ChurnKeys = 65_536;

    private FlowTable _steady = null!;
    private FlowTable _churning = null!;
    private PacketInfo[] _existing = null!;
    private PacketInfo[] _newFlows = null!;
    private long _clock;
    private int _churnPosition;
    private long _ended;

    [GlobalSetup]
    public void Setup()
    {
        var server = IpAddress128.FromIPv4(0xC6336401);
        _existing = new PacketInfo[Batch];
        for (int i = 0; i < Batch; i++)
        {
            var client = IpAddress128.FromIPv4(0x0A000000u + (uint)(i / 2));
            bool fromClient = i % 2 == 0;
            _existing[i] = Packet(fromClient ? client : server, fromClient ? (ushort)40000 : (ushort)443,
                fromClient ? server : client, fromClient ? (ushort)443 : (ushort)40000, IpProtocol.Tcp, 0x10);
        }
        _newFlows = new PacketInfo[ChurnKeys];
        for (int i = 0; i < ChurnKeys; i++)
        {
            _newFlows[i] = Packet(IpAddress128.FromIPv4(0x0B000000u + (uint)i), (ushort)(1024 + i % 50_000), server, 80, IpProtocol.Tcp, 0x02);
        }

        var options = new FlowTableOptions { MaxFlows = Cap };
        _steady = new FlowTable(options, _ => _ended++);
        _churning = new FlowTable(options, _ => _ended++);
        ObserveExisting();
        // Fill the churning table to its cap so every measured packet evicts.
        for (int filled = 0; filled < 2 * Cap; filled += Batch) ObserveChurnAtCap();
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public void ObserveExisting()
    {
        PacketInfo[] packets = _existing;
        for (int i = 0; i < packets.Length; i++)
        {
            packets[i].TimestampMicros = ++_clock;
            _steady.Observe(in packets[i]);
        }
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public void ObserveChurnAtCap()
    {
        PacketInfo[] packets = _newFlows;
        for (int i = 0; i < Batch; i++)
        {
            ref PacketInfo packet = ref packets[_churnPosition];
            _churnPosition = (_churnPosition + 1) % ChurnKeys;
            packet.TimestampMicros = ++_clock;
            _churning.Observe(in packet);
        }
    }

    private static PacketInfo Packet(IpAddress128 source, ushort sourcePort, IpAddress128 destination, ushort destinationPort, byte protocol, byte flags) => new()
    {
        Source = source,
        SourcePort = sourcePort,
        Destination = destination,
        DestinationPort = destinationPort,
        Protocol = protocol,
        IpVersion = 4,
        IpLength = 52,
        TcpFlags = flags,
        Segments = 1,
    };
}
