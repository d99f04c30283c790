using System.Buffers.Binary;
using System.Net;
using Flowmesh.Core.Epochs;
using Flowmesh.Core.Packets;
using Flowmesh.Core.Sketches;

namespace Flowmesh.Agent.Tests.Views;

/// <summary>One generated packet: the fields the truth is computed from, and the frame the real summarizer decodes.</summary>
internal sealed record TestPacket(string Origin, long Micros, string Source, int SourcePort, string Destination, int DestinationPort, int IpLength)
{
    /// <summary>Ethernet + IPv4 + UDP headers; the IP total length says how big the packet was (a capture's snap length cut the rest).</summary>
    public byte[] Frame()
    {
        var frame = new byte[14 + 20 + 8];
        frame[12] = 0x08; // IPv4
        var ip = frame.AsSpan(14);
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)IpLength);
        ip[6] = 0x40; // don't fragment
        ip[8] = 64;
        ip[9] = 17; // UDP
        IPAddress.Parse(Source).TryWriteBytes(ip[12..16], out _);
        IPAddress.Parse(Destination).TryWriteBytes(ip[16..20], out _);
        var udp = ip[20..];
        BinaryPrimitives.WriteUInt16BigEndian(udp, (ushort)SourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(udp[2..], (ushort)DestinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(udp[4..], (ushort)(IpLength - 20));
        return frame;
    }
}

/// <summary>
/// Seeded traffic of several origins (each captures only its own clients, so their packet sets are disjoint and the
/// union is the network's traffic), summarized by the real <see cref="EpochSummarizer"/>. Truth is computed from the
/// packets, never from the view.
/// </summary>
internal sealed class ViewTestTraffic
{
    public const long Second = 1_000_000;
    /// <summary>Aligned to 10 s epochs.</summary>
    public const long T0 = 1_700_000_000L * Second;
    public static readonly TimeSpan Epoch = TimeSpan.FromSeconds(10);
    public static readonly SketchHashKey Key = new("view-api-test-k!"u8);

    public List<TestPacket> Packets { get; } = [];
    public List<EpochRecord> Records { get; } = [];
    public List<string> Origins { get; } = [];

    public static string Origin(int i) => $"node-{i}";

    /// <summary>
    /// <paramref name="origins"/> origins, traffic in [start, start + seconds): 6 clients 10.(o+1).0.c each sending to
    /// shared servers 10.100.0.s every ~0.3 s (so every epoch has records), and 60 small flows per epoch (new ports each)
    /// to 12 external resolvers, so the flow lists overflow and the bounds are exercised. With <paramref name="scanTargets"/>,
    /// scanner 10.66.0.1 contacts that many hosts of 10.200.0.0/16, spread evenly over the origins.
    /// </summary>
    public static ViewTestTraffic Generate(int seed, int origins, long start, int seconds, int scanTargets = 0)
    {
        var random = new Random(seed);
        var traffic = new ViewTestTraffic();
        long end = start + seconds * Second;
        for (int o = 0; o < origins; o++)
        {
            string origin = Origin(o);
            traffic.Origins.Add(origin);
            var packets = new List<TestPacket>();
            for (int c = 1; c <= 6; c++)
            {
                string client = $"10.{o + 1}.0.{c}";
                for (long t = start + random.Next(0, 300_000); t < end; t += random.Next(100_000, 500_000))
                    packets.Add(new(origin, t, client, 40000 + c, $"10.100.0.{(c + o) % 5 + 1}", 443, random.Next(60, 1500)));
            }
            // Many small senders: 30 devices per origin, so the merged talker list (64 keys) overflows and its bounds matter.
            for (int d = 1; d <= 30; d++)
            {
                for (long t = start + random.Next(0, 5_000_000); t < end; t += random.Next(2_000_000, 8_000_000))
                    packets.Add(new(origin, t, $"10.{o + 1}.1.{d}", 50000 + d, $"10.100.0.{d % 5 + 1}", 8883, random.Next(60, 200 + 40 * d)));
            }
            for (long epoch = start; epoch < end; epoch += 10 * Second)
            {
                for (int i = 0; i < 60; i++)
                {
                    long t = epoch + random.Next(0, 9_900_000);
                    if (t >= end) continue;
                    packets.Add(new(origin, t, $"10.{o + 1}.0.{random.Next(1, 7)}", 20000 + random.Next(20000), $"198.51.100.{random.Next(1, 13)}", 53, random.Next(60, 300)));
                }
            }
            for (int h = o; h < scanTargets; h += origins)
                packets.Add(new(origin, start + Second + h * 20_000, "10.66.0.1", 33333, $"10.200.{h / 250}.{h % 250 + 1}", 445, 60));
            packets.Sort((x, y) => x.Micros.CompareTo(y.Micros));
            traffic.Packets.AddRange(packets);
            traffic.Records.AddRange(Summarize(origin, packets));
        }
        return traffic;
    }

    public static List<EpochRecord> Summarize(string origin, List<TestPacket> packets)
    {
        var records = new List<EpochRecord>();
        var summarizer = new EpochSummarizer(new EpochSummarizerOptions { Origin = origin, Key = Key, EpochLength = Epoch }, records.Add);
        foreach (var p in packets) summarizer.ObservePacket(LinkType.Ethernet, p.Micros, p.Frame());
        summarizer.Finish();
        return records;
    }

    public long Bytes => Packets.Sum(p => (long)p.IpLength);

    public Dictionary<string, long> BytesBy(Func<TestPacket, string> key) =>
        Packets.GroupBy(key).ToDictionary(g => g.Key, g => g.Sum(p => (long)p.IpLength), StringComparer.Ordinal);

    public static string Slash24(string address) => address[..address.LastIndexOf('.')] + ".0/24";
}
