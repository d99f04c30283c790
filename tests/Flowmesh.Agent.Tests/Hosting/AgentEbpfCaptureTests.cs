using System.Text.Json;

namespace Flowmesh.Agent.Tests.Hosting;

/// <summary>
/// The agent's eBPF capture path (kernel flow map drained before each epoch boundary) on a veth pair whose far end is
/// in a network namespace this test creates (fmh- prefix) and removes, also on failure. Root only.
/// </summary>
[Collection(nameof(AgentProcessCollection))]
public sealed class AgentEbpfCaptureTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fmh-ebpf-").FullName;
    private AgentProcess? _agent;
    private VethNamespace? _link;

    [Fact]
    public async Task TrafficOnAVethIsCountedAndEveryEpochSealed()
    {
        if (!Environment.IsPrivilegedProcess) Assert.Skip("needs root: network namespaces and eBPF");
        _link = VethNamespace.Create("eb", "10.231.77");
        _agent = AgentProcess.StartRaw(["agent", "--name", "e", "--data-dir", Path.Combine(_directory, "e"), "--bind", "127.0.0.1:0", "--api", "127.0.0.1:0",
            "--no-discovery", "--capture", "ebpf", "-i", _link.HostSide, "--epoch", "1s"], waitForStart: false);
        try
        {
            _agent.WaitForStartOrExit(TimeSpan.FromSeconds(60));
        }
        catch (InvalidOperationException e) when (e.Message.Contains("eBPF capture unavailable", StringComparison.Ordinal))
        {
            Assert.Skip($"eBPF cannot run here: {e.Message}");
        }
        _link.Exec("ping", "-c", "20", "-i", "0.05", "-q", _link.HostAddress);
        await Task.Delay(2500, TestContext.Current.CancellationToken); // past the next boundary: the drain before it moves the kernel's counts into a record

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using var status = JsonDocument.Parse(await http.GetStringAsync(new Uri(_agent.Api, "api/v1/status"), TestContext.Current.CancellationToken));
        var capture = status.RootElement.GetProperty("capture");
        Assert.StartsWith("eBPF", capture.GetProperty("source").GetString());
        // 20 echo requests and 20 replies (IPv6 router solicitations and the like may add a few).
        Assert.InRange(capture.GetProperty("packets").GetInt64(), 40, 60);
        using var records = JsonDocument.Parse(await http.GetStringAsync(new Uri(_agent.Api, "api/v1/records?limit=10000"), TestContext.Current.CancellationToken));
        var starts = records.RootElement.GetProperty("records").EnumerateArray().Select(r => r.GetProperty("startMicros").GetInt64()).Order().ToList();
        Assert.True(starts.Count >= 3, $"{starts.Count} records");
        Assert.All(starts.Zip(starts.Skip(1)), pair => Assert.Equal(1_000_000, pair.Second - pair.First));

        _agent.Terminate();
        Assert.Equal(0, _agent.WaitForExit(TimeSpan.FromSeconds(20)));
    }

    public void Dispose()
    {
        _agent?.Dispose();
        _link?.Dispose();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }
}
