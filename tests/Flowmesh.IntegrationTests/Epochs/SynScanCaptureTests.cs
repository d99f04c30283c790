namespace Flowmesh.IntegrationTests.Epochs;

/// <summary>
/// `summarize` then `query` on a public capture of a SYN scan (../shared/pcaps/nfstream/synscan.pcap), every answer
/// compared with exact values from tshark within the bound the CLI printed.
/// </summary>
public sealed class SynScanCaptureTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fmepo-synscan-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static string? Capture()
    {
        string path = Path.GetFullPath(Path.Combine(RepositoryRoot(), "..", "shared", "pcaps", "nfstream", "synscan.pcap"));
        return File.Exists(path) ? path : null;
    }

    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Flowmesh.sln"))) return dir.FullName;
        throw new InvalidOperationException("repository root not found");
    }

    [Fact]
    public void QueryAnswersAgreeWithTsharkWithinTheirBounds()
    {
        string? capture = Capture();
        if (capture is null) Assert.Skip("../shared/pcaps/nfstream/synscan.pcap is absent");
        if (!TsharkFields.Available) Assert.Skip("tshark is not installed");
        string fms = Path.Combine(_directory, "scan.fms");
        var (code, _, stderr) = FlowmeshProcess.Run("summarize", "--pcap", capture, "--epoch", "10s", "--out", fms, "--origin", "scanner-site");
        Assert.True(code == 0, stderr);

        // Top talkers by bytes.
        var exactBytes = TsharkFields.BytesBySource(capture);
        var talkers = FlowmeshProcess.Entries(FlowmeshProcess.QueryJson(fms, "--top", "talkers", "--by", "bytes", "--limit", "20"));
        Assert.Equal(exactBytes.Count, talkers.Count);
        foreach (var talker in talkers)
            FlowmeshProcess.AssertWithinBound(talker.GetProperty("value"), exactBytes[talker.GetProperty("key").GetString()!], talker.GetProperty("key").GetString()!);

        // Distinct sources.
        var distinct = FlowmeshProcess.QueryJson(fms, "--distinct", "sources").GetProperty("sources");
        FlowmeshProcess.AssertWithinBound(distinct, exactBytes.Count, "distinct sources");

        // Fan-out of the scanner: distinct ports it probed on its target.
        var probes = TsharkFields.Read(capture, "tcp.flags.syn == 1 && tcp.flags.ack == 0", "ip.src", "ip.dst", "tcp.dstport");
        var scanner = probes.GroupBy(f => (f[0], f[1])).OrderByDescending(g => g.Select(f => f[2]).Distinct().Count()).First();
        int exactPorts = TsharkFields.Read(capture, $"ip.src == {scanner.Key.Item1} && ip.dst == {scanner.Key.Item2} && tcp", "tcp.dstport").Select(f => f[0]).Distinct().Count();
        var fanout = FlowmeshProcess.Entries(FlowmeshProcess.QueryJson(fms, "--fanout", "--min", "25"));
        var row = Assert.Single(fanout, r => r.GetProperty("key").GetString() == $"{scanner.Key.Item1} -> {scanner.Key.Item2}");
        Assert.Equal("ports", row.GetProperty("unit").GetString());
        FlowmeshProcess.AssertWithinBound(row.GetProperty("value"), exactPorts, "fan-out ports");

        // Totals are exact.
        var all = FlowmeshProcess.QueryJson(fms).GetProperty("totals");
        Assert.Equal(exactBytes.Values.Sum(), all.GetProperty("bytes").GetProperty("value").GetInt64());
        Assert.Equal(0, all.GetProperty("bytes").GetProperty("error").GetDouble());
        Assert.Equal(TsharkFields.Read(capture, "ip", "frame.number").Count, all.GetProperty("packets").GetProperty("value").GetInt64());
    }

    [Fact]
    public void DuplicateFilesAreMergedOnceAndConflictsAndKeyMismatchesAreClearErrors()
    {
        string? capture = Capture();
        if (capture is null) Assert.Skip("../shared/pcaps/nfstream/synscan.pcap is absent");
        string a = Path.Combine(_directory, "a.fms"), copy = Path.Combine(_directory, "copy.fms");
        Assert.Equal(0, FlowmeshProcess.Run("summarize", "--pcap", capture, "--out", a, "--origin", "n1").ExitCode);
        File.Copy(a, copy);
        var once = FlowmeshProcess.QueryJson(a).GetProperty("totals").GetProperty("bytes");
        var twice = FlowmeshProcess.QueryJson(a, copy).GetProperty("totals").GetProperty("bytes");
        Assert.Equal(once.GetProperty("value").GetDouble(), twice.GetProperty("value").GetDouble());

        // Same origin and epochs summarized with another epoch length overlap: refused, not double-counted.
        string minute = Path.Combine(_directory, "minute.fms");
        Assert.Equal(0, FlowmeshProcess.Run("summarize", "--pcap", capture, "--out", minute, "--origin", "n1", "--epoch", "1m").ExitCode);
        var (code, _, stderr) = FlowmeshProcess.Run("query", a, minute);
        Assert.Equal(1, code);
        Assert.Contains("overlaps", stderr);

        string keyFile = Path.Combine(_directory, "k");
        File.WriteAllText(keyFile, "000102030405060708090a0b0c0d0e0f");
        (code, _, stderr) = FlowmeshProcess.Run("query", a, "--key-file", keyFile);
        Assert.Equal(1, code);
        Assert.Contains("--key-file", stderr);
    }
}
