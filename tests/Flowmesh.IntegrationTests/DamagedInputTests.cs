using System.Buffers.Binary;
using Flowmesh.IntegrationTests.Cli;
using Flowmesh.IntegrationTests.Comparison;
using Flowmesh.IntegrationTests.Infrastructure;
using Flowmesh.IntegrationTests.Synthetic;

namespace Flowmesh.IntegrationTests;

/// <summary>
/// The CLI on inputs that are not (whole) captures. Contract: exit 0 when the file was read, also
/// partly (damaged files up to the damage, with a warning on stderr); exit 1 when it cannot be
/// opened or is not a capture; exit 2 on usage errors. Every run has a deadline, so a hang fails.
/// What was read before the damage must still match tshark exactly.
/// </summary>
public sealed class DamagedInputTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public void Empty_file_is_not_a_capture()
    {
        using var dir = new TemporaryDirectory();
        string path = dir.File("empty.pcap");
        File.WriteAllBytes(path, []);

        AssertNotACapture(FlowmeshCli.Flows(path, Timeout));
    }

    [Fact]
    public void Random_bytes_are_not_a_capture()
    {
        using var dir = new TemporaryDirectory();
        string path = dir.File("random.pcap");
        var bytes = new byte[64 * 1024];
        new Random(20261123).NextBytes(bytes);
        File.WriteAllBytes(path, bytes);

        AssertNotACapture(FlowmeshCli.Flows(path, Timeout));
    }

    [Fact]
    public void Missing_file_cannot_be_opened()
    {
        using var dir = new TemporaryDirectory();

        AssertNotACapture(FlowmeshCli.Flows(dir.File("does-not-exist.pcap"), Timeout));
    }

    [Theory]
    [InlineData("flows", "--format", "xml")]
    [InlineData("flows", "--no-such-option")]
    [InlineData("no-such-command")]
    public void Usage_errors_exit_2(params string[] arguments)
    {
        var run = FlowmeshCli.Run(arguments, Timeout);

        Assert.True(run.ExitCode == 2, $"exit {run.ExitCode}, stderr: {run.StandardError}");
        Assert.False(string.IsNullOrWhiteSpace(run.StandardError), "a usage error must say what was wrong");
        Assert.Empty(run.StandardOutput.Trim());
    }

    [Theory]
    [InlineData(0.37)]
    [InlineData(0.81)]
    public void Pcap_cut_mid_record_is_read_up_to_the_cut_and_warns(double keep)
    {
        string tshark = ExternalTool.RequireOrSkip("tshark");
        using var dir = new TemporaryDirectory();
        byte[] whole = MixedTraffic.Create(frames: 400, seed: 7).ToBytes();
        string path = dir.File("cut.pcap");
        File.WriteAllBytes(path, whole[..CutInsideARecord(whole, keep)]);

        AssertReadUpToDamage(tshark, path);
    }

    [Fact]
    public void Pcapng_cut_mid_block_is_read_up_to_the_cut_and_warns()
    {
        string tshark = ExternalTool.RequireOrSkip("tshark");
        string editcap = ExternalTool.RequireOrSkip("editcap");
        using var dir = new TemporaryDirectory();
        string pcap = dir.File("whole.pcap");
        MixedTraffic.Create(frames: 400, seed: 11).Save(pcap);
        string pcapng = dir.File("whole.pcapng");
        var convert = ChildProcess.Run(editcap, ["-F", "pcapng", pcap, pcapng], Timeout);
        Assert.True(convert.ExitCode == 0, convert.StandardError);
        byte[] bytes = File.ReadAllBytes(pcapng);
        string path = dir.File("cut.pcapng");
        // 0.6 of the file plus an odd offset: inside some enhanced packet block.
        File.WriteAllBytes(path, bytes[..(bytes.Length * 6 / 10 + 3)]);

        AssertReadUpToDamage(tshark, path);
    }

    [Fact]
    public void Record_claiming_two_gigabytes_stops_the_read_with_a_warning()
    {
        string tshark = ExternalTool.RequireOrSkip("tshark");
        using var dir = new TemporaryDirectory();
        byte[] bytes = MixedTraffic.Create(frames: 100, seed: 3).ToBytes();
        int record = RecordOffsets(bytes)[60];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(record + 8), 0x7FFF_FFF0);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(record + 12), 0x7FFF_FFF0);
        string path = dir.File("huge-record.pcap");
        File.WriteAllBytes(path, bytes);

        var comparison = AssertReadUpToDamage(tshark, path);
        Assert.Equal(60, comparison.FlowmeshFlows.Packets);
    }

    [Fact]
    public void Real_capture_cut_short_is_read_up_to_the_cut()
    {
        string tshark = ExternalTool.RequireOrSkip("tshark");
        string source = Path.Combine(RepositoryLayout.SharedPcapsDirectory, "nfstream", "quic.pcap");
        if (!File.Exists(source)) Assert.Skip($"{source} is absent");
        using var dir = new TemporaryDirectory();
        byte[] bytes = File.ReadAllBytes(source);
        string path = dir.File("quic-cut.pcap");
        File.WriteAllBytes(path, bytes[..CutInsideARecord(bytes, 0.5)]);

        AssertReadUpToDamage(tshark, path);
    }

    private static TsharkComparison AssertReadUpToDamage(string tshark, string path)
    {
        var comparison = TsharkComparison.Run(tshark, path, Timeout);
        Assert.True(comparison.Reference.ReportsDamage, $"tshark should see the damage too: {comparison.Reference.StandardError}");
        Assert.True(comparison.FlowmeshFlows.Packets > 0, "nothing was read before the damage");
        Assert.Contains("warning", comparison.Flowmesh.StandardError, StringComparison.OrdinalIgnoreCase);
        comparison.AssertExactMatch();
        return comparison;
    }

    private static void AssertNotACapture(ProcessResult run)
    {
        Assert.True(run.ExitCode == 1, $"exit {run.ExitCode}, stderr: {run.StandardError}");
        Assert.StartsWith("flowmesh:", run.StandardError.TrimStart());
        Assert.Empty(run.StandardOutput.Trim());
    }

    /// <summary>A cut position strictly inside a record's data, near <paramref name="fraction"/> of a classic little-endian pcap.</summary>
    private static int CutInsideARecord(byte[] pcap, double fraction)
    {
        int target = (int)(pcap.Length * fraction);
        int record = RecordOffsets(pcap).Last(offset => offset <= target);
        int captured = (int)BinaryPrimitives.ReadUInt32LittleEndian(pcap.AsSpan(record + 8));
        return record + 16 + Math.Max(1, captured / 2);
    }

    private static List<int> RecordOffsets(byte[] pcap)
    {
        Assert.Equal(0xA1B2C3D4u, BinaryPrimitives.ReadUInt32LittleEndian(pcap));
        var offsets = new List<int>();
        for (int offset = 24; offset + 16 <= pcap.Length;)
        {
            offsets.Add(offset);
            offset += 16 + (int)BinaryPrimitives.ReadUInt32LittleEndian(pcap.AsSpan(offset + 8));
        }
        return offsets;
    }
}
