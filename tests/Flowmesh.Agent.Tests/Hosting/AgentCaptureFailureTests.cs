using System.Diagnostics;
using System.Text.Json;

namespace Flowmesh.Agent.Tests.Hosting;

/// <summary>
/// When the capture cannot go on (here: its interface is deleted under a libpcap capture), the agent does not abort:
/// it keeps answering, reports the capture as failed in /api/v1/status and /metrics, and seals no more records of its
/// own (a record would claim "watched and silent"). Root only; the namespace and veth are removed also on failure.
/// </summary>
[Collection(nameof(AgentProcessCollection))]
public sealed class AgentCaptureFailureTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fmh-capfail-").FullName;
    private AgentProcess? _agent;
    private VethNamespace? _link;

    [Fact]
    public async Task AnAgentWhoseInterfaceVanishesKeepsServingAndSaysItsCaptureFailed()
    {
        if (!Environment.IsPrivilegedProcess) Assert.Skip("needs root: network namespaces and live capture");
        CancellationToken cancel = TestContext.Current.CancellationToken;
        _link = VethNamespace.Create("cf", "10.231.84");

        _agent = AgentProcess.StartRaw(["agent", "--name", "f", "--data-dir", Path.Combine(_directory, "f"), "--bind", "127.0.0.1:0", "--api", "127.0.0.1:0",
            "--no-discovery", "--capture", "pcap", "-i", _link.HostSide, "--epoch", "1s"]);
        _link.Exec("ping", "-c", "5", "-i", "0.1", "-q", _link.HostAddress);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        Assert.Equal("running", (await Capture(http, cancel)).GetProperty("state").GetString());

        _link.DeleteLink();
        JsonElement capture = default;
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(20))
        {
            capture = await Capture(http, cancel);
            if (capture.GetProperty("state").GetString() == "failed") break;
            await Task.Delay(250, cancel);
        }
        Assert.Equal("failed", capture.GetProperty("state").GetString());
        Assert.False(string.IsNullOrEmpty(capture.GetProperty("error").GetString()));

        // Still serving: metrics say the capture is down, members and the view still answer.
        string metrics = await http.GetStringAsync(new Uri(_agent.Api, "metrics"), cancel);
        Assert.Contains("\nflowmesh_capture_up 0\n", metrics, StringComparison.Ordinal);
        Assert.Contains("\"members\"", await http.GetStringAsync(new Uri(_agent.Api, "api/v1/members"), cancel), StringComparison.Ordinal);
        long sealedAtFailure = await Sealed(http, cancel);
        await Task.Delay(3000, cancel); // three epochs
        Assert.Equal(sealedAtFailure, await Sealed(http, cancel));
        Assert.False(_agent.HasExited, _agent.Output);

        _agent.Terminate();
        Assert.Equal(0, _agent.WaitForExit(TimeSpan.FromSeconds(20)));
        Assert.Contains("capture stopped", _agent.Output, StringComparison.Ordinal);
    }

    private async Task<JsonElement> Capture(HttpClient http, CancellationToken cancel)
    {
        using var status = JsonDocument.Parse(await http.GetStringAsync(new Uri(_agent!.Api, "api/v1/status"), cancel));
        return status.RootElement.GetProperty("capture").Clone();
    }

    private async Task<long> Sealed(HttpClient http, CancellationToken cancel)
    {
        using var status = JsonDocument.Parse(await http.GetStringAsync(new Uri(_agent!.Api, "api/v1/status"), cancel));
        return status.RootElement.GetProperty("records").GetProperty("sealed").GetInt64();
    }

    public void Dispose()
    {
        _agent?.Dispose();
        _link?.Dispose();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }
}
