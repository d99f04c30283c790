using System.Diagnostics;
using Flowmesh.Capture.Ebpf;
using Flowmesh.Capture.HostContext.Processes;
using Flowmesh.Capture.Tests.Ebpf;
using Flowmesh.Core.Flows;
using Flowmesh.Core.HostContext;
using Flowmesh.Core.Packets;

namespace Flowmesh.Capture.Tests.HostContext;

/// <summary>
/// The eBPF socket hooks (src/ebpf/process.bpf.c) with real programs across a veth pair into a namespace of our own:
/// the TC flow program captures the flows, the hooks' map attributes them, and the truth is the pid we started (for
/// programs that exit before we look: curl, nmap, ssh) or the pid ss -tlnp reports (servers).
/// </summary>
[Collection(EbpfNetworkCollection.Name)]
public sealed class KernelProcessAttributionTests
{
    private const string Namespace = "fmprocess-ns";
    private const string RootInterface = "fmprocess0";
    private const string PeerInterface = "fmprocess1";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public void Short_lived_clients_servers_and_raw_socket_scanners_are_attributed_to_their_pids()
    {
        EbpfPrerequisites.SkipUnlessAvailable("curl", "python3", "iperf3", "nmap", "ssh", "ss", "ping");
        using var pair = VethNamespace.Create(Namespace, RootInterface, PeerInterface, "10.254.223.0", v6Prefix: "fd8e:b9f0:223::");
        using var hooks = ProcessSocketHooks.Open(Path.Combine(AppContext.BaseDirectory, "process.bpf.o"));
        var provider = new ProcessAttributionProvider(hooks);
        using var collector = EbpfFlowCollector.Open(new EbpfCaptureOptions { Interfaces = [pair.RootInterface], ObjectPath = EbpfPrerequisites.ObjectPath });

        // Servers: one in the namespace (the PC is the client), two in the root namespace (the PC answers).
        using Process peerHttp = pair.StartIn("python3", "-m", "http.server", "8081", "--bind", "::");
        using Process rootHttp = Command.Start("python3", "-m", "http.server", "8082", "--bind", pair.RootV4);
        using Process rootIperf = Command.Start("iperf3", "-s", "-B", pair.RootV4, "-p", "5411");
        try
        {
            ProcessProbe.ListenerPid("t", 8081, Namespace);
            int rootHttpPid = ProcessProbe.ListenerPid("t", 8082);
            int rootIperfPid = ProcessProbe.ListenerPid("t", 5411);
            Assert.Equal(rootHttp.Id, rootHttpPid);

            int curl = RunToEnd("curl", "-sS", "-o", "/dev/null", "--max-time", "10", $"http://{pair.PeerV4}:8081/");
            int curl6 = RunToEnd("curl", "-sS", "-o", "/dev/null", "--max-time", "10", $"http://[{pair.PeerV6}]:8081/");
            pair.Exec(Timeout, "iperf3", "-c", pair.RootV4, "-p", "5411", "-u", "-b", "1M", "-t", "1").EnsureSuccess("iperf3 UDP in the namespace");
            // An unconnected UDP socket (as DNS clients use) that sends and exits; a ping.
            int udpSender = RunToEnd("python3", "-c", $"import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); [s.sendto(b'x', ('{pair.PeerV4}', 9999)) for _ in range(3)]");
            int ping = RunToEnd("ping", "-n", "-c", "2", "-i", "0.2", pair.PeerV4);
            pair.Exec(Timeout, "curl", "-sS", "-o", "/dev/null", "--max-time", "10", $"http://{pair.RootV4}:8082/").EnsureSuccess("curl in the namespace");
            pair.Exec(Timeout, "iperf3", "-c", pair.RootV4, "-p", "5411", "-t", "1").EnsureSuccess("iperf3 in the namespace");
            int connectScan = RunToEnd("nmap", "-n", "-Pn", "-sT", "-p", "8081,8099", pair.PeerV4);
            int synScan = RunToEnd("nmap", "-n", "-Pn", "-sS", "-p", "8081,8098", pair.PeerV4);
            // ssh speaks to the HTTP server, gets no SSH banner and gives up: a short-lived TCP client is all we need.
            int ssh = RunToEnd("ssh", "-o", "BatchMode=yes", "-o", "ConnectTimeout=5", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-p", "8081", $"probe@{pair.PeerV4}");
            Thread.Sleep(300);

            var flows = collector.Drain().ToArray().Select(e => e.Key.ToFlowKey()).ToList();
            ProcessIdentity? Owner(int serverPort)
            {
                FlowKey flow = flows.First(f => f.Protocol == 6 && IsPortOf(f, serverPort));
                var builder = new FlowHostContextBuilder();
                provider.Describe(new FlowContextKey(flow.Protocol, flow.LowAddress, flow.LowPort, flow.HighAddress, flow.HighPort, 0), builder);
                return builder.Process;
            }
            string Flows() => string.Join("\n", flows);

            // curl, nmap and ssh exited long before the lookup: the kernel recorded them at connect or send.
            Assert.Null(ProcessProbe.ProcName(curl));

            // Every flow to the namespace's port 8081 belongs to one of the clients we started in the root namespace.
            var clients = new Dictionary<int, string> { [curl] = "curl", [curl6] = "curl", [connectScan] = "nmap", [synScan] = "nmap", [ssh] = "ssh" };
            var to8081 = flows.Where(f => f.Protocol == 6 && IsPortOf(f, 8081)).ToList();
            Assert.True(to8081.Count >= 5, Flows());
            var seen = new HashSet<int>();
            foreach (FlowKey flow in to8081)
            {
                var builder = new FlowHostContextBuilder();
                provider.Describe(new FlowContextKey(6, flow.LowAddress, flow.LowPort, flow.HighAddress, flow.HighPort, 0), builder);
                ProcessIdentity owner = builder.Process ?? throw new Xunit.Sdk.XunitException($"{flow} not attributed\n{Flows()}");
                Assert.True(clients.TryGetValue(owner.Pid, out string? name), $"{flow}: pid {owner.Pid} ({owner.Name}) is none of ours {string.Join(',', clients.Keys)}");
                Assert.Equal(name, owner.Name);
                Assert.Equal(owner.Pid == synScan ? AttributionSource.PacketSocketOwner : AttributionSource.KernelSocketHook, owner.Source);
                Assert.Equal(0u, owner.UserId);
                Assert.Equal("root", owner.User);
                seen.Add(owner.Pid);
            }
            Assert.Equal(clients.Keys.Order(), seen.Order());

            // The SYN scan's probe of a closed port has no socket anywhere; the raw socket's owner still shows.
            ProcessIdentity? closedPort = Owner(8098);
            Assert.Equal(synScan, closedPort?.Pid);
            Assert.Equal(AttributionSource.PacketSocketOwner, closedPort?.Source);
            Assert.Equal(connectScan, Owner(8099)?.Pid);

            // The PC answers: the servers ss names, whoever connected from the namespace.
            ProcessIdentity? http = Owner(8082);
            Assert.Equal(rootHttpPid, http?.Pid);
            Assert.Equal("python3", http?.Name);
            Assert.Contains("python3", http?.Path ?? "", StringComparison.Ordinal); // alive: /proc/PID/exe
            foreach (FlowKey flow in flows.Where(f => f.Protocol == 6 && IsPortOf(f, 5411)))
            {
                var builder = new FlowHostContextBuilder();
                provider.Describe(new FlowContextKey(6, flow.LowAddress, flow.LowPort, flow.HighAddress, flow.HighPort, 0), builder);
                Assert.Equal(rootIperfPid, builder.Process?.Pid);
                Assert.Equal("iperf3", builder.Process?.Name);
            }
            foreach (FlowKey flow in flows.Where(f => f.Protocol == 17 && IsPortOf(f, 5411)))
            {
                var builder = new FlowHostContextBuilder();
                provider.Describe(new FlowContextKey(17, flow.LowAddress, flow.LowPort, flow.HighAddress, flow.HighPort, 0), builder);
                Assert.Equal(rootIperfPid, builder.Process?.Pid);
            }
            Assert.Contains(flows, f => f.Protocol == 17 && IsPortOf(f, 5411));

            // The unconnected sender's socket is known by its local port only; the ping by its ICMP packets.
            FlowKey datagrams = flows.Single(f => f.Protocol == 17 && IsPortOf(f, 9999));
            var udpBuilder = new FlowHostContextBuilder();
            provider.Describe(new FlowContextKey(17, datagrams.LowAddress, datagrams.LowPort, datagrams.HighAddress, datagrams.HighPort, 0), udpBuilder);
            Assert.Equal(udpSender, udpBuilder.Process?.Pid);
            Assert.Equal("python3", udpBuilder.Process?.Name);
            FlowKey echo = flows.First(f => f.Protocol == 1);
            var pingBuilder = new FlowHostContextBuilder();
            provider.Describe(new FlowContextKey(1, echo.LowAddress, 0, echo.HighAddress, 0, 0), pingBuilder);
            Assert.Equal(ping, pingBuilder.Process?.Pid);
            Assert.Equal("ping", pingBuilder.Process?.Name);
            Assert.Equal(AttributionSource.PacketSocketOwner, pingBuilder.Process?.Source);
            Assert.True(hooks.Recorded > 0);
        }
        finally
        {
            foreach (Process server in new[] { peerHttp, rootHttp, rootIperf })
            {
                if (!server.HasExited) Command.Signal(server, "TERM");
                server.WaitForExit(5000);
            }
        }
    }

    [Fact]
    public void Flows_without_a_local_address_are_counted_as_forwarded()
    {
        EbpfPrerequisites.SkipUnlessAvailable();
        using var hooks = ProcessSocketHooks.Open(Path.Combine(AppContext.BaseDirectory, "process.bpf.o"));
        var provider = new ProcessAttributionProvider(hooks);
        var builder = new FlowHostContextBuilder();
        // TEST-NET addresses are on no interface of this machine.
        provider.Describe(new FlowContextKey(6, IpAddress128.Parse("192.0.2.10"), 40000, IpAddress128.Parse("198.51.100.7"), 443, 0), builder);
        provider.Describe(new FlowContextKey(1, IpAddress128.Parse("192.0.2.10"), 0, IpAddress128.Parse("198.51.100.7"), 0, 0), builder);
        Assert.Null(builder.Process);
        Assert.Equal(2, provider.UnattributedForwarded);
        Assert.Equal(0, provider.Attributed);
    }

    private static bool IsPortOf(FlowKey flow, params int[] ports) => ports.Contains(flow.LowPort) || ports.Contains(flow.HighPort);

    /// <summary>Runs a client to its end and returns its pid (the process is gone when this returns).</summary>
    private static int RunToEnd(string file, params string[] arguments)
    {
        using Process process = Command.Start(file, arguments);
        process.StandardOutput.ReadToEndAsync();
        process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(Timeout)) process.Kill(entireProcessTree: true);
        return process.Id;
    }
}
