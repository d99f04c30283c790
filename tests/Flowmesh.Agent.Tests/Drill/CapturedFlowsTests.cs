using System.Buffers.Binary;
using Flowmesh.Agent.Drill;
using Flowmesh.Agent.Hosting;
using Flowmesh.Capture.Files;
using Flowmesh.Core.Epochs;
using Flowmesh.Core.Packets;
using Flowmesh.Core.Sketches;

namespace Flowmesh.Agent.Tests.Drill;

/// <summary>
/// The capture pipeline feeding the flow log: a capture file written here (every packet known) through the same
/// pipeline the agent runs, and the flow log's rows per epoch equal to the packets of each epoch.
/// </summary>
public sealed class CapturedFlowsTests : IDisposable
{
    private const long Second = 1_000_000;
    private static readonly long T0 = 1_795_000_000L * Second;
    private readonly string _directory = Directory.CreateTempSubdirectory("fmr-captured-flows-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void EachEpochsRowHoldsExactlyThatEpochsPacketsOfTheFlow()
    {
        // A DNS-like exchange 10.0.0.1:40000 -> 10.0.0.2:53: (time offset, payload, reply?). Epochs of 1 s: 0, 1 and 4.
        (long At, int Payload, bool Reply)[] packets =
            [(Second / 2, 100, false), (6 * Second / 10, 300, true), (3 * Second / 2, 50, false), (9 * Second / 2, 1000, true)];
        string path = WritePcap(packets);
        using var log = FlowLog.Open(Path.Combine(_directory, "data"));
        var collector = new FlowCollector(log, _ => { });
        var records = new List<EpochRecord>();
        var options = new EpochSummarizerOptions { Origin = "p", Key = new SketchHashKey("pipeline-test-k!"u8), EpochLength = TimeSpan.FromSeconds(1) };
        using (var pipeline = new CapturePipeline(new PcapFileSource(path), options, r => { lock (records) records.Add(r); }, () => T0, collector))
        {
            pipeline.Start();
            Assert.True(SpinWait.SpinUntil(() => pipeline.Packets == packets.Length, TimeSpan.FromSeconds(10)), "the capture thread did not read the file");
            Assert.True(pipeline.Stop(TimeSpan.FromSeconds(10)));
        }
        collector.Dispose();

        FlowQuery Ask(long from, long to) => new(from, to, IpAddress128.Parse("10.0.0.2"), 128, null, null, 10);
        FlowRow Only(long epoch) => Assert.Single(log.Query(Ask(T0 + epoch * Second, T0 + (epoch + 1) * Second), out _));
        // IP length = 20 + 8 + payload.
        Assert.Equal((128L, 1L, 328L, 1L), Counters(Only(0)));
        Assert.Equal((78L, 1L, 0L, 0L), Counters(Only(1)));
        Assert.Equal((0L, 0L, 1028L, 1L), Counters(Only(4)));
        Assert.Empty(log.Query(Ask(T0 + 2 * Second, T0 + 4 * Second), out _));

        var whole = Assert.Single(log.Query(Ask(T0, T0 + 5 * Second), out _));
        Assert.Equal((206L, 2L, 1356L, 2L), Counters(whole));
        Assert.Equal(("10.0.0.1", (ushort)40000, "10.0.0.2", (ushort)53, (byte)17), (whole.Source.ToString(), whole.SourcePort, whole.Destination.ToString(), whole.DestinationPort, whole.Protocol));
        Assert.Equal((T0 + Second / 2, T0 + 9 * Second / 2), (whole.FirstMicros, whole.LastMicros));
        // The signed records summarize the same traffic the rows hold.
        Assert.Equal((ulong)(206 + 1356), (ulong)records.Sum(r => (long)r.Totals.All.Bytes));
    }

    private static (long, long, long, long) Counters(FlowRow row) => (row.BytesOut, row.PacketsOut, row.BytesIn, row.PacketsIn);

    private string WritePcap((long At, int Payload, bool Reply)[] packets)
    {
        string path = Path.Combine(_directory, "capture.pcap");
        using var file = File.Create(path);
        Span<byte> header = stackalloc byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(header, 0xa1b2c3d4);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], 4);
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], 65535);
        BinaryPrimitives.WriteUInt32LittleEndian(header[20..], 1); // Ethernet
        file.Write(header);
        foreach (var (at, payload, reply) in packets)
        {
            byte[] frame = UdpFrame(payload, reply);
            long micros = T0 + at;
            var record = new byte[16];
            BinaryPrimitives.WriteUInt32LittleEndian(record, (uint)(micros / Second));
            BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(4), (uint)(micros % Second));
            BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(8), (uint)frame.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(12), (uint)frame.Length);
            file.Write(record);
            file.Write(frame);
        }
        return path;
    }

    private static byte[] UdpFrame(int payload, bool reply)
    {
        var frame = new byte[14 + 20 + 8 + payload];
        frame[12] = 0x08; // IPv4
        var ip = frame.AsSpan(14);
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(28 + payload));
        ip[8] = 64;
        ip[9] = 17; // UDP
        ip[12] = 10; ip[15] = (byte)(reply ? 2 : 1);
        ip[16] = 10; ip[19] = (byte)(reply ? 1 : 2);
        uint sum = 0;
        for (int i = 0; i < 20; i += 2) sum += BinaryPrimitives.ReadUInt16BigEndian(ip[i..]);
        while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], (ushort)~sum);
        var udp = ip[20..];
        BinaryPrimitives.WriteUInt16BigEndian(udp, (ushort)(reply ? 53 : 40000));
        BinaryPrimitives.WriteUInt16BigEndian(udp[2..], (ushort)(reply ? 40000 : 53));
        BinaryPrimitives.WriteUInt16BigEndian(udp[4..], (ushort)(8 + payload));
        return frame;
    }
}
