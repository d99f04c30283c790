using Flowmesh.Core.Epochs;
using Flowmesh.Core.Packets;
using Flowmesh.Core.Sketches;
using Flowmesh.Core.Tests.Packets;
using Flowmesh.Core.Views;

namespace Flowmesh.Core.Tests.Epochs;

/// <summary>One synthetic packet: the fields the truth is computed from, and the Ethernet frame the summarizer decodes.</summary>
internal sealed record SyntheticPacket(long Micros, string Source, int SourcePort, string Destination, int DestinationPort, byte Protocol, int IpLength, byte Flags)
{
    public byte[] Frame()
    {
        bool v6 = Source.Contains(':');
        var b = new FrameBuilder().Ethernet(v6 ? 0x86DD : 0x0800);
        int headerLength = v6 ? 40 : 20;
        if (v6) b.Ipv6(IpLength - headerLength, Protocol, Source, Destination);
        else b.Ipv4(IpLength, Protocol, Source, Destination);
        switch (Protocol)
        {
            case IpProtocol.Tcp: b.Tcp(SourcePort, DestinationPort, Flags); break;
            case IpProtocol.Udp: b.Udp(SourcePort, DestinationPort, IpLength - headerLength); break;
            default: b.Icmp(v6 ? 128 : 8, 0); break;
        }
        // Captured short of the IP length, as with a snap length: the decoder reports the IP length.
        return b.Build();
    }
}

/// <summary>
/// Deterministic synthetic traffic with long flows crossing epochs, IPv4 and IPv6, a port scan and a spoofed SYN
/// flood, plus the summarizer run over it. Truth in the tests is computed from these packets directly.
/// </summary>
internal static class EpochTestTraffic
{
    public const long Second = 1_000_000;
    public const long Start = 1_700_000_000L * Second + 3 * Second;
    public const string Scanner = "10.9.9.9";
    public const string ScanTarget = "10.2.0.1";
    public const string FloodTarget = "10.2.0.5";
    public const int ScannedPorts = 150;
    public const int FloodSources = 300;

    /// <summary>
    /// The global view over every record given, its window spanning them all and no membership (so no origin is
    /// expected and no coverage caveat applies): what `flowmesh query` answers over files.
    /// </summary>
    public static GlobalView Merge(IReadOnlyCollection<EpochRecord> records)
    {
        var window = new ViewWindow(records.Min(r => r.Id.StartMicros), records.Max(r => r.Id.EndMicros));
        // Decoded fuzz input may claim any valid interval, even longer than a TimeSpan holds.
        var epoch = TimeSpan.FromMicroseconds(Math.Min(records.Min(r => r.Id.LengthMicros), TimeSpan.MaxValue.Ticks / TimeSpan.TicksPerMicrosecond));
        return GlobalView.Build(records, [], window.ToMicros, window, GlobalViewOptions.Default with { EpochLength = epoch, SettleDelay = TimeSpan.Zero });
    }

    public static readonly SketchHashKey Key = new("epoch-test-key!!"u8);

    /// <summary>Fixes up a record's total length and CRC so only its structure can reveal damage.</summary>
    public static byte[] Reseal(byte[] bytes)
    {
        byte[] copy = (byte[])bytes.Clone();
        if (copy.Length >= 20) System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(copy.AsSpan(16), (uint)copy.Length);
        if (copy.Length >= 24)
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(copy.AsSpan(copy.Length - 4), System.IO.Hashing.Crc32.HashToUInt32(copy.AsSpan(0, copy.Length - 4)));
        return copy;
    }

    /// <summary>
    /// Re-encodes <paramref name="record"/> with a changed copy of its extensions (valid framing, raw sections, so only the
    /// changed rule can fail) and expects the decoder to refuse; returns why.
    /// </summary>
    public static string RejectedWith(EpochRecord record, Action<RecordExtensions> change)
    {
        var contents = record.Contents;
        var saved = contents.Extensions;
        var copy = new RecordExtensions();
        copy.MergeFrom(saved);
        change(copy);
        contents.Extensions = copy;
        try
        {
            return Assert.Throws<EpochRecordFormatException>(() => EpochRecord.Decode(contents.Encode(record.Id), Key)).Message;
        }
        finally
        {
            contents.Extensions = saved;
        }
    }

    /// <summary>Decodes with <see cref="Key"/> and expects the decoder to refuse; returns why.</summary>
    public static EpochRecordFormatException Reject(byte[] bytes) =>
        Assert.Throws<EpochRecordFormatException>(() => EpochRecord.Decode(bytes, Key));

    public static List<SyntheticPacket> Generate(int seed, int seconds = 65)
    {
        var random = new Random(seed);
        var packets = new List<SyntheticPacket>();
        long end = Start + seconds * Second;
        // Long TCP flows: each client talks to one server all along, both directions.
        for (int c = 1; c <= 30; c++)
        {
            string client = $"10.1.0.{c}", server = $"10.2.0.{10 + c % 10}";
            int port = 40000 + c;
            packets.Add(new(Start + random.Next(0, 500_000), client, port, server, 443, IpProtocol.Tcp, 60, 0x02));
            for (long t = Start + Second; t < end; t += random.Next(100_000, 900_000))
            {
                bool up = random.Next(4) == 0;
                packets.Add(up ? new(t, client, port, server, 443, IpProtocol.Tcp, random.Next(52, 400), 0x18)
                    : new(t, server, 443, client, port, IpProtocol.Tcp, random.Next(600, 1500), 0x10));
            }
        }
        // IPv6 UDP conversations.
        for (int c = 1; c <= 12; c++)
        {
            string a = $"2001:db8:1::{c:x}", b = $"2001:db8:2::{c % 3 + 1:x}";
            for (long t = Start + random.Next(0, 5_000_000); t < end; t += random.Next(500_000, 3_000_000))
            {
                packets.Add(new(t, a, 5000 + c, b, 53, IpProtocol.Udp, random.Next(60, 200), 0));
                packets.Add(new(t + 1_000, b, 53, a, 5000 + c, IpProtocol.Udp, random.Next(100, 500), 0));
            }
        }
        // Pings.
        for (long t = Start; t < end; t += 1_000_000)
            packets.Add(new(t + 7, "10.1.0.1", 0, "10.3.0.1", 0, IpProtocol.Icmp, 84, 0));
        // A SYN scan of ScannedPorts ports, answered by RST, straddling an epoch boundary.
        long scanStart = Start + 17 * Second;
        for (int p = 0; p < ScannedPorts; p++)
        {
            long t = scanStart + p * 30_000;
            packets.Add(new(t, Scanner, 61000, ScanTarget, 1 + p, IpProtocol.Tcp, 44, 0x02));
            packets.Add(new(t + 100, ScanTarget, 1 + p, Scanner, 61000, IpProtocol.Tcp, 40, 0x14));
        }
        // A spoofed SYN flood: every packet from another source.
        long floodStart = Start + 41 * Second;
        for (int i = 0; i < FloodSources; i++)
            packets.Add(new(floodStart + i * 5_000, $"172.16.{i / 250}.{i % 250 + 1}", 1024 + i, FloodTarget, 80, IpProtocol.Tcp, 40, 0x02));
        packets.Sort((x, y) => x.Micros.CompareTo(y.Micros));
        return packets;
    }

    public static List<EpochRecord> Summarize(IEnumerable<SyntheticPacket> packets, TimeSpan epoch, string origin = "node-a", FlowOwnership? ownership = null, EpochSummaryOptions? options = null)
    {
        var records = new List<EpochRecord>();
        var summarizer = new EpochSummarizer(new EpochSummarizerOptions
        {
            Origin = origin,
            Key = Key,
            EpochLength = epoch,
            Ownership = ownership ?? FlowOwnership.Everything,
            Summary = options ?? EpochSummaryOptions.Default,
        }, records.Add);
        foreach (var p in packets) summarizer.ObservePacket(LinkType.Ethernet, p.Micros, p.Frame());
        summarizer.Finish();
        return records;
    }
}
