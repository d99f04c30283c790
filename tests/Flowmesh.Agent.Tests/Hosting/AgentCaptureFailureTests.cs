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
    private readonly string _namespace = $"fmh-cf{Environment.ProcessId % 100000}";
    private readonly string _hostSide = $"fmh-f{Environment.ProcessId % 100000}a";
    private readonly string _directory = Directory.CreateTempSubdirectory("fmh-capfail-").FullName;
    private AgentProcess? _agent;

    [Fact]
    public async Task AnAgentWhoseInterfaceVanishesKeepsServingAndSaysItsCaptureFailed()
    {
        if (!Environment.IsPrivilegedProcess) Assert.Skip("needs root: network namespaces and live capture");
        CancellationToken cancel = TestContext.Current.CancellationToken;
        Run("ip", "netns", "add", _namespace);
        Run("ip", "link", "add", _hostSide, "type", "veth", "peer", "name", "fmh-cf-in", "netns", _namespace);
        Run("ip", "addr", "add", "10.231.80.1/24", "dev", _hostSide);
        Run("ip", "link", "set", _hostSide, "up");
        Run("ip", "-n", _namespace, "addr", "add", "10.231.80.2/24", "dev", "fmh-cf-in");
        Run("ip", "-n", _namespace, "link", "set", "fmh-cf-in", "up");

        _agent = AgentProcess.StartRaw(["agent", "--name", "f", "--data-dir", Path.Combine(_directory, "f"), "--bind", "127.0.0.1:0", "--api", "127.0.0.1:0",
            "--no-discovery", "--capture", "pcap", "-i", _hostSide, "--epoch", "1s"]);
        Run("ip", "netns", "exec", _namespace, "ping", "-c", "5", "-i", "0.1", "-q", "10.231.80.1");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        Assert.Equal("running", (await Capture(http, cancel)).GetProperty("state").GetString());

        Run("ip", "link", "del", _hostSide);
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

    private static void Run(string command, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(command, arguments) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        string error = process.StandardError.ReadToEnd();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{command} {string.Join(' ', arguments)}: {error}");
    }

    public void Dispose()
    {
        _agent?.Dispose();
        try { Run("ip", "link", "del", _hostSide); } catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception) { }
        try { Run("ip", "netns", "del", _namespace); } catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception) { }
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }
}
