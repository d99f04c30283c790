using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Flowmesh.Agent.Tests.Hosting;

/// <summary>
/// Issue 11: any host on the LAN could kill an eBPF agent, without the key, by churning TCP connections to it. An eBPF
/// agent watches a veth whose far end is a network namespace (created here, removed also on failure) from which, for
/// 60 s: up to 400 connections to its gossip port, reconnecting whenever the agent drops one; an hping3 SYN/FIN/RST
/// mix with random and reused source ports; and a port-reuse storm (one 5-tuple reconnecting at once, closed with
/// RST). Throughout, the agent stays up and catches no capture error; afterwards its records hold exactly the packets
/// and IP bytes tcpdump recorded on the same interface (less what the map-full counter says the kernel could not
/// count). Root only.
/// </summary>
[Collection(nameof(AgentProcessCollection))]
public sealed class AgentHostileChurnTests : IDisposable
{
    private static readonly TimeSpan ChurnTime = TimeSpan.FromSeconds(60);
    private readonly string _directory = Directory.CreateTempSubdirectory("fmh-churn-").FullName;
    private readonly List<Process> _load = [];
    private Process? _tcpdump;
    private AgentProcess? _agent;
    private VethNamespace? _link;

    private const string AgentAddress = "10.231.79.1";

    /// <summary>
    /// Holds up to 400 connections open to the agent and reconnects whenever it closes one (the issue's reproduction),
    /// at most 1,000 new connections a second so that the truth stays a capture tshark can read in seconds.
    /// </summary>
    private const string HoldConnections = """
        import socket, selectors, sys, time
        target = (sys.argv[1], int(sys.argv[2])); end = time.time() + float(sys.argv[3])
        sel = selectors.DefaultSelector(); open_ = 0
        def connect():
            global open_
            s = socket.socket(); s.setblocking(False)
            try: s.connect_ex(target)
            except OSError: s.close(); return
            sel.register(s, selectors.EVENT_READ); open_ += 1
        budget, last = 0.0, time.time()
        while time.time() < end:
            now = time.time(); budget = min(100.0, budget + (now - last) * 1000); last = now
            while open_ < 400 and budget >= 1: connect(); budget -= 1
            for key, _ in sel.select(0.05):
                s = key.fileobj
                try: data = s.recv(4096)
                except OSError: data = b''
                if not data:
                    sel.unregister(s); s.close(); open_ -= 1
        """;

    /// <summary>One 5-tuple reconnecting as fast as it can: bind the same source port, connect, send, close with RST.</summary>
    private const string ReusePorts = """
        import socket, struct, sys, time
        target = (sys.argv[1], int(sys.argv[2])); end = time.time() + float(sys.argv[3]); port = int(sys.argv[4])
        while time.time() < end:
            s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0)); s.settimeout(1)
            try:
                s.bind(('0.0.0.0', port)); s.connect(target); s.send(b'x' * 64)
            except OSError: pass
            s.close(); time.sleep(0.005)
        """;

    [Fact]
    public async Task AnEbpfAgentSurvivesAMinuteOfHostileChurnAndCountsItExactly()
    {
        if (!Environment.IsPrivilegedProcess) Assert.Skip("needs root: network namespaces and eBPF");
        foreach (string tool in new[] { "/usr/bin/python3", "/usr/sbin/hping3", "/usr/bin/tcpdump" })
            if (!File.Exists(tool)) Assert.Skip($"{tool} is missing (scripts/setup.sh --test installs it)");
        CancellationToken cancel = TestContext.Current.CancellationToken;
        _link = VethNamespace.Create("ch", "10.231.79", ipv4Only: true);
        // The kernel of the far end answers for closed ports; neighbours resolved now keep ARP out of the window.
        _link.Exec("ping", "-c", "1", "-W", "2", AgentAddress);

        string pcap = Path.Combine(_directory, "truth.pcap");
        _tcpdump = Process.Start(new ProcessStartInfo("tcpdump", ["-i", _link.HostSide, "-n", "-s", "128", "-B", "16384", "-w", pcap, "ip"])
            { RedirectStandardError = true, RedirectStandardOutput = true })!;
        string tcpdumpErrors = "";
        var tcpdumpStderr = Task.Run(async () => tcpdumpErrors = await _tcpdump.StandardError.ReadToEndAsync(cancel), cancel);
        await Task.Delay(1000, cancel); // tcpdump's socket is open before the agent's first packet

        _agent = AgentProcess.StartRaw(["agent", "--name", "churned", "--data-dir", Path.Combine(_directory, "agent"),
            "--bind", $"{AgentAddress}:7946", "--api", "127.0.0.1:0", "--no-discovery", "--capture", "ebpf", "-i", _link.HostSide, "--epoch", "2s"],
            waitForStart: false);
        try
        {
            _agent.WaitForStartOrExit(TimeSpan.FromSeconds(60));
        }
        catch (InvalidOperationException e) when (e.Message.Contains("eBPF capture unavailable", StringComparison.Ordinal))
        {
            Assert.Skip($"eBPF cannot run here: {e.Message}");
        }

        string seconds = ChurnTime.TotalSeconds.ToString(CultureInfo.InvariantCulture);
        InNamespace("/usr/bin/python3", "-c", HoldConnections, AgentAddress, "7946", seconds);
        InNamespace("/usr/bin/python3", "-c", ReusePorts, AgentAddress, "7946", seconds, "45000");
        // SYN, FIN and RST, each from a random source port, and SYN and FIN once more from one fixed, reused port.
        Hping(seconds, "-S", "-i", "u5000");
        Hping(seconds, "-F", "-i", "u10000");
        Hping(seconds, "-R", "-A", "-i", "u10000");
        Hping(seconds, "-S", "-s", "46000", "-k", "-i", "u10000");
        Hping(seconds, "-F", "-s", "46001", "-k", "-i", "u20000");

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < ChurnTime)
        {
            await Task.Delay(5000, cancel);
            Assert.False(_agent.HasExited, $"the agent died under churn after {watch.Elapsed.TotalSeconds:0} s:\n{_agent.Output}");
            using var status = JsonDocument.Parse(await http.GetStringAsync(new Uri(_agent.Api, "api/v1/status"), cancel));
            var capture = status.RootElement.GetProperty("capture");
            Assert.Equal("running", capture.GetProperty("state").GetString());
            Assert.All(capture.GetProperty("errors").EnumerateObject(), e => Assert.True(e.Value.GetInt64() == 0, $"capture errors at {e.Name}:\n{_agent.Output}"));
        }
        foreach (Process load in _load)
        {
            if (!load.WaitForExit(TimeSpan.FromSeconds(20))) load.Kill(entireProcessTree: true);
        }
        TestContext.Current.TestOutputHelper?.WriteLine($"load ended {watch.Elapsed.TotalSeconds:0.0} s after it started");
        // The held connections: the far end's kernel closes them when the script exits; wait until the link is quiet.
        await Task.Delay(4000, cancel);
        Signal(_tcpdump, "INT");
        Assert.True(_tcpdump.WaitForExit(TimeSpan.FromSeconds(10)), "tcpdump did not stop");
        await tcpdumpStderr;
        Assert.Matches(@"(?m)^0 packets dropped by kernel", tcpdumpErrors);

        // Past the next epoch boundary: the drain before it moves the last packets into a sealed record.
        await Task.Delay(3000, cancel);
        using (var status = JsonDocument.Parse(await http.GetStringAsync(new Uri(_agent.Api, "api/v1/status"), cancel)))
            Assert.Equal(0, status.RootElement.GetProperty("capture").GetProperty("drops").GetInt64());
        (long packets, long bytes) = await RecordedTotals(http, _agent.Api, cancel);
        (long truthPackets, long truthBytes) = Truth(pcap);
        Assert.True(truthPackets > 20_000, $"only {truthPackets} packets of churn");
        Assert.Equal((truthPackets, truthBytes), (packets, bytes));
        TestContext.Current.TestOutputHelper?.WriteLine($"churn: {truthPackets} packets, {truthBytes} IP bytes, equal in tcpdump and in the agent's records");

        _agent.Terminate();
        Assert.Equal(0, _agent.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.DoesNotContain("capture error", _agent.Output, StringComparison.Ordinal);
    }

    /// <summary>Packets and IP bytes (the IPv4 total length) tcpdump recorded, summed by tshark.</summary>
    private static (long Packets, long Bytes) Truth(string pcap)
    {
        var clock = Stopwatch.StartNew();
        string lengths = VethNamespace.Run("tshark", "-n", "-r", pcap, "-o", "tcp.analyze_sequence_numbers:FALSE", "-T", "fields", "-e", "ip.len");
        TestContext.Current.TestOutputHelper?.WriteLine($"tshark read the truth in {clock.Elapsed.TotalSeconds:0.0} s");
        long packets = 0, bytes = 0;
        foreach (string line in lengths.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            packets++;
            bytes += long.Parse(line.Split(',')[0], CultureInfo.InvariantCulture);
        }
        return (packets, bytes);
    }

    /// <summary>Exact totals of the agent's sealed records (a lone node: the view is its own records).</summary>
    private static async Task<(long Packets, long Bytes)> RecordedTotals(HttpClient http, Uri api, CancellationToken cancel)
    {
        using var traffic = JsonDocument.Parse(await http.GetStringAsync(new Uri(api, "api/v1/traffic?window=10m"), cancel));
        var totals = traffic.RootElement.GetProperty("totals");
        Assert.Equal(0, totals.GetProperty("bytes").GetProperty("error").GetDouble());
        return (totals.GetProperty("packets").GetProperty("value").GetInt64(), totals.GetProperty("bytes").GetProperty("value").GetInt64());
    }

    private void InNamespace(string program, params string[] arguments) => _load.Add(_link!.Start(program, arguments));

    /// <summary>hping3 for the churn time (timeout ends it: its own count would depend on how fast it really sends).</summary>
    private void Hping(string seconds, params string[] mode) =>
        InNamespace("/usr/bin/timeout", ["--signal=INT", seconds, "/usr/sbin/hping3", "-q", "-p", "7946", .. mode, AgentAddress]);

    private static void Signal(Process process, string signal) => VethNamespace.Run("kill", $"-{signal}", process.Id.ToString(CultureInfo.InvariantCulture));

    public void Dispose()
    {
        foreach (Process load in _load)
        {
            try { if (!load.HasExited) load.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            load.Dispose();
        }
        try { if (_tcpdump is { HasExited: false }) _tcpdump.Kill(); } catch (InvalidOperationException) { }
        _tcpdump?.Dispose();
        _agent?.Dispose();
        _link?.Dispose();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }
}
