using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using Flowmesh.Core.Flows;
using Flowmesh.Core.Packets;

namespace Flowmesh.Benchmarks;

/// <summary>
/// The whole per-packet path of a capture source: decode + flow-table update through
/// <see cref="FlowMeter"/>. One operation is a batch of <see cref="Batch"/> frames cycling over
/// <see cref="Flows"/> conversations (both directions, IPv4 TCP and UDP, IPv6 TCP), so the result per
/// packet is the reported time divided by the batch.
/// </summary>
[MemoryDiagnoser]
public class FlowMeterBenchmarks
{
    public const int Batch = 1024;

    [Params(100, 10_000)]
    public int Flows { get; set; }

    private byte[][] _frames = [];
    private FlowMeter _meter = null!;
    private long _clock;
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        var frames = new List<byte[]>();
        for (int i = 0; i < Flows; i++)
        {
            switch (i % 3)
            {
                case 0:
                    frames.Add(Ipv4(6, 0x0A000001u + (uint)i, 0x0A640001u, (ushort)(40000 + i % 20000), 443, 1500));
                    frames.Add(Ipv4(6, 0x0A640001u, 0x0A000001u + (uint)i, 443, (ushort)(40000 + i % 20000), 52));
                    break;
                case 1:
                    frames.Add(Ipv4(17, 0x0A000001u + (uint)i, 0x0A640035u, (ushort)(30000 + i % 30000), 53, 70));
                    frames.Add(Ipv4(17, 0x0A640035u, 0x0A000001u + (uint)i, 53, (ushort)(30000 + i % 30000), 120));
                    break;
                default:
                    frames.Add(Ipv6Tcp(i, toServer: true));
                    frames.Add(Ipv6Tcp(i, toServer: false));
                    break;
            }
        }
        _frames = [.. frames];
        _meter = new FlowMeter(new FlowTableOptions(), _ => { });
        _clock = 1_700_000_000_000_000;
        // Create every flow before measuring: the benchmark is the steady state of a busy PC.
        for (int i = 0; i < _frames.Length; i++) _meter.ObservePacket(LinkType.Ethernet, _clock, _frames[i]);
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public void DecodeAndUpdate()
    {
        var frames = _frames;
        int next = _next;
        for (int i = 0; i < Batch; i++)
        {
            _meter.ObservePacket(LinkType.Ethernet, _clock += 10, frames[next]);
            if (++next == frames.Length) next = 0;
        }
        _next = next;
    }

    private static byte[] Ipv4(byte protocol, uint source, uint destination, ushort sourcePort, ushort destinationPort, int totalLength)
    {
        int transport = protocol == 6 ? 20 : 8;
        var frame = new byte[14 + 20 + transport];
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), 0x0800);
        var ip = frame.AsSpan(14);
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)totalLength);
        ip[8] = 64;
        ip[9] = protocol;
        BinaryPrimitives.WriteUInt32BigEndian(ip[12..], source);
        BinaryPrimitives.WriteUInt32BigEndian(ip[16..], destination);
        WritePorts(ip[20..], protocol, sourcePort, destinationPort);
        return frame;
    }

    private static byte[] Ipv6Tcp(int flow, bool toServer)
    {
        var frame = new byte[14 + 40 + 20];
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), 0x86DD);
        var ip = frame.AsSpan(14);
        ip[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(ip[4..], toServer ? (ushort)1200 : (ushort)20);
        ip[6] = 6;
        ip[7] = 64;
        var client = ip[(toServer ? 8 : 24)..];
        var server = ip[(toServer ? 24 : 8)..];
        client[0] = 0x20; client[1] = 0x01; client[2] = 0x0D; client[3] = 0xB8;
        BinaryPrimitives.WriteInt32BigEndian(client[12..], flow);
        server[0] = 0x20; server[1] = 0x01; server[2] = 0x0D; server[3] = 0xB8; server[15] = 0x80;
        ushort clientPort = (ushort)(50000 + flow % 10000);
        WritePorts(ip[40..], 6, toServer ? clientPort : (ushort)443, toServer ? (ushort)443 : clientPort);
        return frame;
    }

    private static void WritePorts(Span<byte> transport, byte protocol, ushort sourcePort, ushort destinationPort)
    {
        BinaryPrimitives.WriteUInt16BigEndian(transport, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(transport[2..], destinationPort);
        if (protocol == 6)
        {
            transport[12] = 0x50;
            transport[13] = 0x18; // ACK|PSH: an established connection
        }
        else
        {
            BinaryPrimitives.WriteUInt16BigEndian(transport[4..], 8);
        }
    }
}
