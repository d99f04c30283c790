using System.Buffers.Binary;
using Flowmesh.Agent.Hosting;
using Flowmesh.Capture.Files;
using Flowmesh.Core.Epochs;
using Flowmesh.Core.Sketches;

namespace Flowmesh.Agent.Tests.Hosting;

/// <summary>
/// The capture thread and its epochs, driven by a capture file written here (so every packet is known exactly) and
/// a wall clock set to the file's start. Live sources run the same sink; only the clock differs.
/// </summary>
public sealed class CapturePipelineTests : IDisposable
{
    private const long Second = 1_000_000;
    private static readonly long T0 = 1_795_000_000L * Second; // aligned to whole seconds
    private readonly string _directory = Directory.CreateTempSubdirectory("fmh-pipeline-").FullName;

    [Fact]
    public void EachPacketLandsInItsEpochAndStopSealsThePartialEpoch()
    {
        // (time offset, UDP payload bytes): epochs 0, 1 and 4 carry traffic; the file ends inside epoch 4.
        (long At, int Payload)[] packets = [(Second / 2, 100), (Second / 2 + 10, 300), (3 * Second / 2, 50), (9 * Second / 2, 1000)];
        string path = WritePcap(packets);
        var records = new List<EpochRecord>();
        var options = new EpochSummarizerOptions { Origin = "p", Key = new SketchHashKey("pipeline-test-k!"u8), EpochLength = TimeSpan.FromSeconds(1) };
        using var pipeline = new CapturePipeline(new PcapFileSource(path), options, r => { lock (records) records.Add(r); }, () => T0);
        pipeline.Start();
        Assert.True(SpinWait.SpinUntil(() => pipeline.Packets == packets.Length, TimeSpan.FromSeconds(10)), "the capture thread did not read the file");
        Assert.True(pipeline.Stop(TimeSpan.FromSeconds(10)));

        Assert.Equal([T0, T0 + Second, T0 + 4 * Second], records.Select(r => r.Id.StartMicros));
        // IP length = 20 (IPv4) + 8 (UDP) + payload: the exact bytes each epoch saw.
        Assert.Equal([(2UL, 428UL + 28), (1UL, 78UL), (1UL, 1028UL)], records.Select(r => (r.Totals.All.Packets, r.Totals.All.Bytes)));
        Assert.Equal([2UL, 1UL, 1UL], records.Select(r => r.Health.Frames));
        Assert.True(pipeline.Stop(TimeSpan.FromSeconds(1))); // a second stop seals nothing more
        Assert.Equal(3, records.Count);
    }

    [Fact]
    public void AFileWithNoPacketsStillSealsTheEpochThePipelineWatched()
    {
        string path = WritePcap([]);
        var records = new List<EpochRecord>();
        var options = new EpochSummarizerOptions { Origin = "p", Key = new SketchHashKey("pipeline-test-k!"u8), EpochLength = TimeSpan.FromSeconds(10) };
        using var pipeline = new CapturePipeline(new PcapFileSource(path), options, records.Add, () => T0 + 3 * Second);
        pipeline.Start();
        Assert.True(pipeline.Stop(TimeSpan.FromSeconds(10)));
        var record = Assert.Single(records);
        Assert.Equal(T0, record.Id.StartMicros);
        Assert.Equal(0UL, record.Totals.All.Packets);
    }

    [Fact]
    public void AFlowLogThatThrowsLosesOnlyItsOwnDeltasAndTheCaptureGoesOn()
    {
        (long At, int Payload)[] packets = [(Second / 2, 100), (3 * Second / 2, 50), (5 * Second / 2, 10)];
        string path = WritePcap(packets);
        var records = new List<EpochRecord>();
        var log = new StringWriter();
        var listener = new ThrowingListener();
        var options = new EpochSummarizerOptions { Origin = "p", Key = new SketchHashKey("pipeline-test-k!"u8), EpochLength = TimeSpan.FromSeconds(1) };
        using var pipeline = new CapturePipeline(new PcapFileSource(path), options, r => { lock (records) records.Add(r); }, () => T0, listener, log);
        pipeline.Start();
        Assert.True(SpinWait.SpinUntil(() => pipeline.Packets == packets.Length, TimeSpan.FromSeconds(10)), "the capture thread did not read the file");
        Assert.True(pipeline.Stop(TimeSpan.FromSeconds(10)));

        // The summary got every delta: the records are whole.
        Assert.Equal([128UL, 78UL, 38UL], records.Select(r => r.Totals.All.Bytes));
        // Every delta and every epoch hand-over the flow log refused was counted, nothing else.
        Assert.Equal(3, pipeline.Errors[CaptureErrorStage.FlowLog] - listener.SealedCalls);
        Assert.Equal(3, listener.SealedCalls);
        Assert.Equal(0, pipeline.Errors[CaptureErrorStage.Summary] + pipeline.Errors[CaptureErrorStage.Seal] + pipeline.Errors[CaptureErrorStage.Loop]);
        Assert.Equal("stopped", pipeline.State);
        // Logged once, with the flow it dropped; not once per delta.
        string text = log.ToString();
        Assert.Single(text.Split('\n'), l => l.Contains("capture error at flow_log", StringComparison.Ordinal));
        Assert.Contains("10.0.0.1:40000 > 10.0.0.2:53", text, StringComparison.Ordinal);
    }

    [Fact]
    public void ARecordThatCannotBePublishedIsCountedAndLaterEpochsStillSeal()
    {
        (long At, int Payload)[] packets = [(Second / 2, 100), (3 * Second / 2, 50), (5 * Second / 2, 10)];
        string path = WritePcap(packets);
        var records = new List<EpochRecord>();
        var options = new EpochSummarizerOptions { Origin = "p", Key = new SketchHashKey("pipeline-test-k!"u8), EpochLength = TimeSpan.FromSeconds(1) };
        using var pipeline = new CapturePipeline(new PcapFileSource(path), options, r =>
        {
            if (r.Id.StartMicros == T0) throw new InvalidOperationException("the store is gone");
            lock (records) records.Add(r);
        }, () => T0, log: TextWriter.Null);
        pipeline.Start();
        Assert.True(SpinWait.SpinUntil(() => pipeline.Packets == packets.Length, TimeSpan.FromSeconds(10)), "the capture thread did not read the file");
        Assert.True(pipeline.Stop(TimeSpan.FromSeconds(10)));

        Assert.Equal([T0 + Second, T0 + 2 * Second], records.Select(r => r.Id.StartMicros));
        Assert.Equal(1, pipeline.Errors[CaptureErrorStage.Seal]);
        Assert.Equal(1, pipeline.Errors.Total);
    }

    private sealed class ThrowingListener : IEpochFlowListener
    {
        public int SealedCalls { get; private set; }

        public void Add(Core.Flows.FlowTableDelta delta) => throw new ArgumentException("Flow deltas never have negative counters.");

        public void Sealed(EpochId id)
        {
            SealedCalls++;
            throw new InvalidOperationException("the writer is gone");
        }
    }

    private string WritePcap((long At, int Payload)[] packets)
    {
        string path = Path.Combine(_directory, $"{Guid.NewGuid():N}.pcap");
        using var file = File.Create(path);
        Span<byte> header = stackalloc byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(header, 0xa1b2c3d4);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], 4);
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], 65535);
        BinaryPrimitives.WriteUInt32LittleEndian(header[20..], 1); // Ethernet
        file.Write(header);
        foreach (var (at, payload) in packets)
        {
            byte[] frame = UdpFrame(payload);
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

    private static byte[] UdpFrame(int payload)
    {
        var frame = new byte[14 + 20 + 8 + payload];
        frame[12] = 0x08; // IPv4
        var ip = frame.AsSpan(14);
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(28 + payload));
        ip[8] = 64;
        ip[9] = 17; // UDP
        ip[12] = 10; ip[15] = 1;
        ip[16] = 10; ip[19] = 2;
        uint sum = 0;
        for (int i = 0; i < 20; i += 2) sum += BinaryPrimitives.ReadUInt16BigEndian(ip[i..]);
        while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], (ushort)~sum);
        var udp = ip[20..];
        BinaryPrimitives.WriteUInt16BigEndian(udp, 40000);
        BinaryPrimitives.WriteUInt16BigEndian(udp[2..], 53);
        BinaryPrimitives.WriteUInt16BigEndian(udp[4..], (ushort)(8 + payload));
        return frame;
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
