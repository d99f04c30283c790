using System.Diagnostics;
using System.Globalization;
using Flowmesh.Capture.HostContext.Processes;
using Flowmesh.Capture.Tests.Ebpf;
using Flowmesh.Core.HostContext;
using Flowmesh.Core.Packets;

namespace Flowmesh.Capture.Tests.HostContext;

/// <summary>
/// The socket-table fallback (netlink sock_diag joined to /proc/PID/fd), as libpcap capture and kernels without the
/// hooks use it, against the pids ss reports for the same sockets. Only sockets still open can be found: a client that
/// already exited is counted, not guessed.
/// </summary>
[Collection(EbpfNetworkCollection.Name)]
public sealed class SocketTableAttributionTests
{
    private const string Namespace = "fmprocess-table-ns";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public void Open_sockets_of_servers_and_clients_are_attributed_as_ss_reports_them()
    {
        EbpfPrerequisites.SkipUnlessAvailable("python3", "iperf3", "curl", "ss");
        using var pair = VethNamespace.Create(Namespace, "fmproctab0", "fmproctab1", "10.254.223.4", v6Prefix: null);
        var table = new LinuxSocketTable(TimeSpan.Zero);
        var provider = new ProcessAttributionProvider(table);

        // A server here that a client in the namespace holds a connection to (the PC answers), and a client here
        // holding a connection to a server in the namespace (the PC initiated).
        using Process server = Command.Start("python3", "-c", HoldingServer, pair.RootV4, "8091");
        using Process peerServer = pair.StartIn("python3", "-c", HoldingServer, pair.PeerV4, "8092");
        using Process udpServer = Command.Start("python3", "-c", "import socket, sys\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\ns.bind((sys.argv[1], 9191))\nwhile True: s.recvfrom(2048)", pair.RootV4);
        Process? peerClient = null, client = null;
        try
        {
            int serverPid = ProcessProbe.ListenerPid("t", 8091);
            ProcessProbe.ListenerPid("t", 8092, Namespace);
            peerClient = pair.StartIn("python3", "-c", HoldingClient, pair.RootV4, "8091");
            client = Command.Start("python3", "-c", HoldingClient, pair.PeerV4, "8092");
            ushort peerClientPort = ushort.Parse(peerClient.StandardOutput.ReadLine()!, CultureInfo.InvariantCulture);
            ushort clientPort = ushort.Parse(client.StandardOutput.ReadLine()!, CultureInfo.InvariantCulture);

            // The PC answers: the accepted socket belongs to the server process, as ss says.
            var builder = new FlowHostContextBuilder();
            provider.Describe(Flow(pair.PeerV4, peerClientPort, pair.RootV4, 8091), builder);
            Assert.Equal(serverPid, builder.Process?.Pid);
            Assert.Equal(ProcessProbe.ConnectedPid($"{pair.RootV4}:8091"), builder.Process?.Pid);
            Assert.Equal(AttributionSource.SocketTable, builder.Process?.Source);
            Assert.Equal("python3", builder.Process?.Name);
            Assert.Equal("root", builder.Process?.User);
            Assert.Contains("python3", builder.Process?.Path ?? "", StringComparison.Ordinal);

            // The PC initiated: the client's pid, as ss says.
            builder.Reset();
            provider.Describe(Flow(pair.RootV4, clientPort, pair.PeerV4, 8092), builder);
            Assert.Equal(client.Id, builder.Process?.Pid);
            Assert.Equal(ProcessProbe.ConnectedPid($"{pair.RootV4}:{clientPort}"), builder.Process?.Pid);

            // A UDP server is known by its local port (any peer), as ss -ulnp lists it.
            int udpServerPid = ProcessProbe.ListenerPid("u", 9191);
            Assert.Equal(udpServer.Id, udpServerPid);
            builder.Reset();
            provider.Describe(new FlowContextKey(17, IpAddress128.Parse(pair.PeerV4), 40404, IpAddress128.Parse(pair.RootV4), 9191, 0), builder);
            Assert.Equal(udpServerPid, builder.Process?.Pid);

            // A client that exited before the lookup has no socket left: counted, not guessed.
            Command.Run(Timeout, "curl", "-sS", "-o", "/dev/null", "--max-time", "5", $"http://{pair.PeerV4}:8092/");
            builder.Reset();
            provider.Describe(Flow(pair.RootV4, 1, pair.PeerV4, 8092), builder);
            Assert.Null(builder.Process);
            Assert.Equal(1, provider.UnattributedUnknown);
            Assert.Equal(3, provider.Attributed);
            Assert.True(table.Refreshes >= 1);
            Assert.Equal(0, table.MalformedMessages);
        }
        finally
        {
            foreach (Process? process in new[] { client, peerClient, server, peerServer, udpServer })
            {
                if (process is null) continue;
                if (!process.HasExited) Command.Signal(process, "TERM");
                process.WaitForExit(5000);
                process.Dispose();
            }
        }
    }

    [Fact]
    public void Flows_between_unknown_addresses_are_counted_as_forwarded()
    {
        if (!OperatingSystem.IsLinux()) Assert.Skip("sock_diag is Linux only");
        var provider = new ProcessAttributionProvider(new LinuxSocketTable());
        var builder = new FlowHostContextBuilder();
        provider.Describe(new FlowContextKey(17, IpAddress128.Parse("192.0.2.1"), 5000, IpAddress128.Parse("198.51.100.1"), 53, 0), builder);
        Assert.Null(builder.Process);
        Assert.Equal(1, provider.UnattributedForwarded);
    }

    private static FlowContextKey Flow(string initiator, ushort initiatorPort, string responder, ushort responderPort) =>
        new(6, IpAddress128.Parse(initiator), initiatorPort, IpAddress128.Parse(responder), responderPort, 0);

    /// <summary>Accepts connections and keeps them open until killed.</summary>
    private const string HoldingServer = """
        import socket, sys, time
        s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(16)
        held = []
        while True:
            c, _ = s.accept(); held.append(c)
        """;

    /// <summary>Connects, prints its local port, and keeps the connection open until killed.</summary>
    private const string HoldingClient = """
        import socket, sys, time
        c = socket.create_connection((sys.argv[1], int(sys.argv[2])))
        print(c.getsockname()[1], flush=True)
        time.sleep(120)
        """;
}
