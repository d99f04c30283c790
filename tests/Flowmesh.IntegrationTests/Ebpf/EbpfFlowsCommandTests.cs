using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Flowmesh.IntegrationTests.Cli;
using Flowmesh.IntegrationTests.Comparison;
using Flowmesh.IntegrationTests.Infrastructure;
using Flowmesh.IntegrationTests.Reference;

namespace Flowmesh.IntegrationTests.Ebpf;

/// <summary>
/// `flowmesh flows` with eBPF capture, as a user runs it (a child process, stopped with SIGTERM), against
/// tcpdump on the same interface read by tshark: every directed 5-tuple must have exactly the packets and
/// bytes tshark counts. Plus the two ways eBPF can be missing: demanded (a clear error) and by default (one
/// line, then libpcap). One class: the tests share the fmglue namespace and run one after another.
/// </summary>
public sealed partial class EbpfFlowsCommandTests
{
    private static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public void Ebpf_records_match_tshark_on_the_same_interface_exactly()
    {
        string tshark = RequireRootAndTools();
        foreach (string tool in new[] { "tcpdump", "iperf3", "curl", "python3", "hping3", "ping", "ss" }) ExternalTool.RequireOrSkip(tool);
        using var work = new TemporaryDirectory();
        string www = Directory.CreateDirectory(work.File("www")).FullName;
        File.WriteAllBytes(Path.Combine(www, "blob"), new byte[300_000]);
        string pcap = work.File("reference.pcap");

        using var network = GlueNetwork.Create();
        // Servers inside our namespace only: nothing listens on the machine's own interfaces.
        using var iperf4 = network.StartInNamespace("iperf3", "-s", "-B", GlueNetwork.PeerV4, "-p", "5401");
        using var iperf6 = network.StartInNamespace("iperf3", "-s", "-B", GlueNetwork.PeerV6, "-p", "5402");
        using var http = network.StartInNamespace("python3", "-m", "http.server", "8081", "--bind", "::", "--directory", www);
        WaitForListeners(network, ":5401", ":5402", ":8081");

        using var tcpdump = BackgroundProcess.Start("tcpdump", "-i", GlueNetwork.RootInterface, "-n", "--immediate-mode", "-s", "128", "-B", "32768", "-w", pcap);
        tcpdump.WaitForStandardError("listening on", StepTimeout);
        using var flowmesh = StartFlowmesh("flows", "--capture", "ebpf", "--interface", GlueNetwork.RootInterface, "--format", "json");
        flowmesh.WaitForStandardError("flowmesh: capturing with eBPF", StepTimeout);

        network.InNamespace("ping", "-n", "-c", "5", "-i", "0.2", GlueNetwork.RootV4);
        network.InNamespace("ping", "-n", "-6", "-c", "5", "-i", "0.2", GlueNetwork.RootV6);
        foreach (string server in new[] { GlueNetwork.PeerV4, $"[{GlueNetwork.PeerV6}]" })
            Run("curl", "-sS", "-o", "/dev/null", "--max-time", "10", $"http://{server}:8081/blob");
        var udpDatagrams = new Dictionary<string, long>();
        foreach ((string server, string port) in new[] { (GlueNetwork.PeerV4, "5401"), (GlueNetwork.PeerV6, "5402") })
        {
            Run("iperf3", "-c", server, "-p", port, "-t", "1");
            string report = Run("iperf3", "-c", server, "-p", port, "-t", "1", "-u", "-b", "50M", "-l", "1200", "-J");
            using JsonDocument json = JsonDocument.Parse(report);
            udpDatagrams[server] = json.RootElement.GetProperty("end").GetProperty("sum").GetProperty("packets").GetInt64();
        }
        // Spoofed SYN burst: a new flow per packet; strict rp_filter drops them after TC and tcpdump saw them.
        // hping3 exits 1 when nothing answers, which is the point here.
        ChildProcess.Run("ip", ["netns", "exec", GlueNetwork.Namespace, "hping3", "-q", "-n", "-S", "--rand-source", "-p", "5399", "-c", "300", "-i", "u2000", GlueNetwork.RootV4], StepTimeout);
        Thread.Sleep(500);

        flowmesh.Stop("TERM", StepTimeout);
        tcpdump.Stop("INT", StepTimeout);
        Assert.True(flowmesh.ExitCode == 0, $"flowmesh exited {flowmesh.ExitCode}: {flowmesh.StandardError}");

        var reference = TsharkFlowReference.Compute(tshark, pcap, StepTimeout);
        Assert.True(reference.ExitCode == 0, reference.StandardError);
        var (flows, _) = FlowRecordLines.Read(flowmesh.StandardOutput);
        Assert.True(reference.Flows.Count > 300, $"tshark saw only {reference.Flows.Count} directed flows: the traffic did not run as intended");

        long tcpdumpDrops = long.Parse(DroppedByKernel().Match(tcpdump.StandardError).Groups[1].Value, CultureInfo.InvariantCulture);
        var difference = FlowMapDifference.Compute(reference.Flows, flows);
        if (tcpdumpDrops == 0)
            Assert.True(difference.IsEmpty, $"flowmesh (eBPF) disagrees with tshark\n{difference.Describe("tshark", "flowmesh")}\nflowmesh stderr: {flowmesh.StandardError}");
        else
            Assert.InRange(flows.Packets - reference.Flows.Packets, 0, tcpdumpDrops); // tcpdump lost what the kernel program still counted

        Assert.Contains("map-full misses 0", flowmesh.StandardError);
        Match read = PacketsRead().Match(flowmesh.StandardError);
        Assert.True(read.Success, flowmesh.StandardError);
        Assert.Equal(flows.Packets, long.Parse(read.Groups[1].Value.Replace(",", ""), CultureInfo.InvariantCulture));
        AssertSegmentsCoverPackets(flowmesh.StandardOutput);
        // iperf3 also sends a 4-byte "connect" datagram on the same socket first: its count + 1.
        Assert.Equal(udpDatagrams[GlueNetwork.PeerV4] + 1, UdpSegmentsTo(flowmesh.StandardOutput, GlueNetwork.PeerV4, 5401));
        Assert.Equal(udpDatagrams[GlueNetwork.PeerV6] + 1, UdpSegmentsTo(flowmesh.StandardOutput, GlueNetwork.PeerV6, 5402));
    }

    [Fact]
    public void Demanding_ebpf_without_root_says_why_and_fails()
    {
        RequireRootAndTools();
        ExternalTool.RequireOrSkip("setpriv");
        using var home = new TemporaryDirectory();
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(home.Path, (UnixFileMode)0x1FF); // the unprivileged child's HOME
        using var unprivileged = Flowmesh.Tests.Shared.WorldReadableCopy.OfTestOutput();
        ProcessResult result = ChildProcess.Run("setpriv",
            ["--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", "env", "HOME=" + home.Path, "DOTNET_CLI_HOME=" + home.Path,
             "dotnet", unprivileged.Combine(Path.GetFileName(FlowmeshDll)), "flows", "--capture", "ebpf", "--interface", "lo", "--seconds", "1", "--format", "json"], StepTimeout);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("flowmesh: eBPF capture unavailable: eBPF capture needs root (or CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN)", result.StandardError.Trim());
        Assert.Equal("", result.StandardOutput);
    }

    [Fact]
    public void Without_ebpf_privileges_the_default_falls_back_to_libpcap_with_one_line()
    {
        RequireRootAndTools();
        ExternalTool.RequireOrSkip("setpriv");
        ExternalTool.RequireOrSkip("ping");
        using var network = GlueNetwork.Create();
        // Root without CAP_BPF, CAP_NET_ADMIN and CAP_SYS_ADMIN: eBPF cannot load, libpcap (CAP_NET_RAW) still works.
        using var flowmesh = BackgroundProcess.Start("setpriv", "--bounding-set", "-bpf,-net_admin,-sys_admin",
            "dotnet", FlowmeshDll, "flows", "--interface", GlueNetwork.RootInterface, "--format", "json");
        flowmesh.WaitForStandardError("flowmesh: capturing with libpcap", StepTimeout);
        network.InNamespace("ping", "-n", "-c", "5", "-i", "0.2", GlueNetwork.RootV4);
        Thread.Sleep(300);
        flowmesh.Stop("TERM", StepTimeout);

        Assert.True(flowmesh.ExitCode == 0, flowmesh.StandardError);
        string[] lines = flowmesh.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["flowmesh: eBPF unavailable (eBPF capture needs root (or CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN)); capturing with libpcap"],
            // Host-context notes ("host context: process: socket table (... eBPF socket hooks unavailable ...)") are
            // about other sources, not the capture backend.
            lines.Where(l => l.Contains("eBPF", StringComparison.Ordinal) && !l.Contains("host context:", StringComparison.Ordinal)));
        var (flows, _) = FlowRecordLines.Read(flowmesh.StandardOutput);
        // ping -c 5: five 84-byte echo requests and five replies (IP total length 20 + 8 + 56).
        Assert.Equal(new DirectedTotals(5, 420), flows[DirectedFlowKey.Create(1, GlueNetwork.PeerV4, 0, GlueNetwork.RootV4, 0)]);
        Assert.Equal(new DirectedTotals(5, 420), flows[DirectedFlowKey.Create(1, GlueNetwork.RootV4, 0, GlueNetwork.PeerV4, 0)]);
    }

    private static string FlowmeshDll =>
        Environment.GetEnvironmentVariable("FLOWMESH_CLI_DLL") is { Length: > 0 } other ? other : RepositoryLayout.FlowmeshDll;

    private static BackgroundProcess StartFlowmesh(params string[] arguments) => BackgroundProcess.Start("dotnet", [FlowmeshDll, .. arguments]);

    private static string RequireRootAndTools()
    {
        if (!OperatingSystem.IsLinux()) Assert.Skip("eBPF capture is Linux only");
        if (!Environment.IsPrivilegedProcess) Assert.Skip("needs root: network namespaces, eBPF and raw sockets");
        if (!File.Exists(Path.Combine(Path.GetDirectoryName(FlowmeshDll)!, "flowmesh.bpf.o")))
            Assert.Skip("flowmesh.bpf.o was not built next to flowmesh.dll (clang missing?)");
        return ExternalTool.RequireOrSkip("tshark");
    }

    private static string Run(string file, params string[] arguments)
    {
        ProcessResult result = ChildProcess.Run(file, arguments, StepTimeout);
        Assert.True(result.ExitCode == 0, $"{file} {string.Join(' ', arguments)} failed ({result.ExitCode}): {result.StandardError}");
        return result.StandardOutput;
    }

    /// <summary>Segments the sender sent in the UDP flow(s) to <paramref name="server"/>:<paramref name="port"/>, over all its records.</summary>
    private static long UdpSegmentsTo(string jsonLines, string server, int port)
    {
        long segments = 0;
        foreach (string line in jsonLines.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            using var document = JsonDocument.Parse(line);
            JsonElement r = document.RootElement;
            if (r.GetProperty("proto").GetInt32() != 17) continue;
            if (r.GetProperty("dst_addr").GetString() == server && r.GetProperty("dst_port").GetInt32() == port) segments += r.GetProperty("segments").GetInt64();
            else if (r.GetProperty("src_addr").GetString() == server && r.GetProperty("src_port").GetInt32() == port) segments += r.GetProperty("rev_segments").GetInt64();
        }
        return segments;
    }

    private static void WaitForListeners(GlueNetwork network, params string[] ports)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            string listening = network.InNamespace("ss", "-Hltn");
            if (ports.All(p => listening.Contains(p + " ", StringComparison.Ordinal))) return;
            if (clock.Elapsed > StepTimeout) throw new TimeoutException("servers did not start listening: " + listening);
            Thread.Sleep(100);
        }
    }

    /// <summary>Every record carries segments, and a packet is at least one segment.</summary>
    private static void AssertSegmentsCoverPackets(string jsonLines)
    {
        foreach (string line in jsonLines.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            using var document = JsonDocument.Parse(line);
            JsonElement r = document.RootElement;
            Assert.True(r.GetProperty("segments").GetInt64() >= r.GetProperty("packets").GetInt64(), line);
            Assert.True(r.GetProperty("rev_segments").GetInt64() >= r.GetProperty("rev_packets").GetInt64(), line);
        }
    }

    [GeneratedRegex(@"([\d,]+) packets read")]
    private static partial Regex PacketsRead();

    [GeneratedRegex(@"(\d+) packets? dropped by kernel")]
    private static partial Regex DroppedByKernel();
}
