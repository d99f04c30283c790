using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Flowmesh.IntegrationTests.Infrastructure;

namespace Flowmesh.IntegrationTests.Ebpf;

/// <summary>
/// `flowmesh flows --format json` as a user runs it, with process context: a curl that exits before its flow is
/// printed must appear with its own pid and name. Loopback only (libpcap capture there; the process hooks are global),
/// so no namespace is needed; the hooks, their alternatives and the namespace cases are tested in
/// Flowmesh.Capture.Tests/HostContext.
/// </summary>
public sealed class ProcessContextCommandTests
{
    private static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public void A_short_lived_curl_is_printed_with_its_pid_and_name()
    {
        if (!OperatingSystem.IsLinux()) Assert.Skip("the process hooks are Linux only");
        if (!Environment.IsPrivilegedProcess) Assert.Skip("needs root: eBPF and live capture");
        string dll = Environment.GetEnvironmentVariable("FLOWMESH_CLI_DLL") is { Length: > 0 } other ? other : RepositoryLayout.FlowmeshDll;
        if (!File.Exists(Path.Combine(Path.GetDirectoryName(dll)!, "process.bpf.o"))) Assert.Skip("process.bpf.o was not built (clang missing?)");
        ExternalTool.RequireOrSkip("curl");
        ExternalTool.RequireOrSkip("python3");

        using var server = BackgroundProcess.Start("python3", "-m", "http.server", "18793", "--bind", "127.0.0.1");
        using var flowmesh = BackgroundProcess.Start("dotnet", dll, "flows", "--capture", "pcap", "--interface", "lo",
            "--host-context", "process", "--format", "json", "--idle-timeout", "tcp=1,closed=1");
        flowmesh.WaitForStandardError("host context: process: eBPF socket hooks", StepTimeout);
        flowmesh.WaitForStandardError("capturing", StepTimeout);
        WaitUntilListening(18793);

        int curlPid;
        using (Process curl = Process.Start(new ProcessStartInfo("curl", ["-sS", "-o", "/dev/null", "--max-time", "10", "http://127.0.0.1:18793/"])
               { RedirectStandardError = true })!)
        {
            curlPid = curl.Id;
            string error = curl.StandardError.ReadToEnd();
            curl.WaitForExit();
            Assert.True(curl.ExitCode == 0, error);
        }
        Thread.Sleep(TimeSpan.FromSeconds(3)); // past the 1 s idle timeout: the flow is printed
        flowmesh.Stop("TERM", StepTimeout);

        JsonElement? record = null;
        foreach (string line in flowmesh.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            using JsonDocument json = JsonDocument.Parse(line);
            if (json.RootElement.GetProperty("dst_port").GetInt32() == 18793) record = json.RootElement.Clone();
        }
        Assert.True(record is not null, flowmesh.StandardOutput + flowmesh.StandardError);
        JsonElement owner = record.Value.GetProperty("process");
        Assert.Equal(curlPid, owner.GetProperty("pid").GetInt32());
        Assert.Equal("curl", owner.GetProperty("name").GetString());
        Assert.Equal("ebpf-socket", owner.GetProperty("source").GetString());
        Assert.Equal(0, owner.GetProperty("uid").GetInt32());
    }

    private static void WaitUntilListening(int port)
    {
        var clock = Stopwatch.StartNew();
        string pattern = ":" + port.ToString(CultureInfo.InvariantCulture) + " ";
        while (!ChildProcess.Run("ss", ["-Hltn"], StepTimeout).StandardOutput.Contains(pattern, StringComparison.Ordinal))
        {
            if (clock.Elapsed > StepTimeout) throw new TimeoutException($"nothing listens on port {port}");
            Thread.Sleep(100);
        }
    }
}
