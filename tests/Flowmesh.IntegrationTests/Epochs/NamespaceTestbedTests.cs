namespace Flowmesh.IntegrationTests.Epochs;

/// <summary>
/// A capture recorded in our own namespaces (ping, curl, an nmap SYN scan of 200 ports, a spoofed hping3 SYN
/// flood): `query` answers agree with exact values computed by tshark within the printed bounds.
/// </summary>
public sealed class NamespaceTestbedTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fmepo-testbed-").FullName;

    public void Dispose()
    {
        NamespaceTestbed.Remove();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public void ScanFloodAndTalkersAgreeWithTshark()
    {
        if (NamespaceTestbed.MissingPrerequisite() is string missing) Assert.Skip(missing);
        string capture = Path.Combine(_directory, "testbed.pcap");
        NamespaceTestbed.Record(capture);
        string fms = Path.Combine(_directory, "b.fms");
        var (code, _, stderr) = FlowmeshProcess.Run("summarize", "--pcap", capture, "--epoch", "10s", "--out", fms, "--origin", "fmepo-b");
        Assert.True(code == 0, stderr);

        // Top talkers by bytes: every listed sender within its bound, the two hosts first.
        var exactBytes = TsharkFields.BytesBySource(capture);
        var talkers = FlowmeshProcess.Entries(FlowmeshProcess.QueryJson(fms, "--top", "talkers", "--by", "bytes", "--limit", "20"));
        Assert.Equal(20, talkers.Count);
        foreach (var row in talkers)
            FlowmeshProcess.AssertWithinBound(row.GetProperty("value"), exactBytes[row.GetProperty("key").GetString()!], row.GetProperty("key").GetString()!);
        Assert.Equal(
            exactBytes.OrderByDescending(kv => kv.Value).Take(2).Select(kv => kv.Key).Order(),
            talkers.Take(2).Select(r => r.GetProperty("key").GetString()!).Order());

        // Distinct sources: the two hosts and the flood's spoofed addresses.
        var distinct = FlowmeshProcess.QueryJson(fms, "--distinct", "sources").GetProperty("sources");
        Assert.True(exactBytes.Count > NamespaceTestbed.FloodPackets / 2);
        FlowmeshProcess.AssertWithinBound(distinct, exactBytes.Count, "distinct sources");

        // Fan-out of the nmap scanner: distinct ports it opened connections to on the server.
        int exactPorts = TsharkFields.Read(capture, $"ip.src == {NamespaceTestbed.Client} && ip.dst == {NamespaceTestbed.Server} && tcp", "tcp.dstport")
            .Select(f => f[0]).Distinct().Count();
        Assert.InRange(exactPorts, 200, 202);
        var scan = Assert.Single(FlowmeshProcess.Entries(FlowmeshProcess.QueryJson(fms, "--fanout", "--min", "25")),
            r => r.GetProperty("key").GetString() == $"{NamespaceTestbed.Client} -> {NamespaceTestbed.Server}");
        FlowmeshProcess.AssertWithinBound(scan.GetProperty("value"), exactPorts, "fan-out ports");

        // Fan-in of the flooded server: distinct sources that sent to it.
        int exactSources = TsharkFields.Read(capture, $"ip.dst == {NamespaceTestbed.Server}", "ip.src").Select(f => f[0]).Distinct().Count();
        var flood = Assert.Single(FlowmeshProcess.Entries(FlowmeshProcess.QueryJson(fms, "--fanin", "--min", "25")), r => r.GetProperty("key").GetString() == NamespaceTestbed.Server);
        FlowmeshProcess.AssertWithinBound(flood.GetProperty("value"), exactSources, "fan-in sources");
    }
}
