using Flowmesh.IntegrationTests.Infrastructure;

namespace Flowmesh.IntegrationTests.Ebpf;

/// <summary>
/// A veth pair between the root namespace and a namespace of our own (prefix fmglue), kept quiet on
/// purpose (static neighbours, no DAD, router solicitation or link-local address) so that nothing the
/// kernel sends on its own at the edges of a capture disturbs an exact comparison. Strict reverse-path
/// filtering on the root side drops spoofed sources after TC and tcpdump saw them. The flowmesh under
/// test runs in the root namespace on <see cref="RootInterface"/>; traffic generators run inside.
/// Dispose deletes the namespace and with it the pair.
/// </summary>
internal sealed class GlueNetwork : IDisposable
{
    public const string Namespace = "fmglue-ns";
    public const string RootInterface = "fmglue0";
    public const string PeerInterface = "fmglue1";
    public const string RootV4 = "10.254.219.1";
    public const string PeerV4 = "10.254.219.2";
    public const string RootV6 = "fd8e:b9f0:219:1::1";
    public const string PeerV6 = "fd8e:b9f0:219:1::2";
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);

    private GlueNetwork()
    {
    }

    public static GlueNetwork Create()
    {
        Remove();
        var network = new GlueNetwork();
        try
        {
            Build();
            return network;
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    private static void Build()
    {
        Check("ip", "netns", "add", Namespace);
        Check("ip", "link", "add", RootInterface, "type", "veth", "peer", "name", PeerInterface, "netns", Namespace);
        foreach (string[] prefix in new[] { Array.Empty<string>(), ["ip", "netns", "exec", Namespace] })
        {
            string device = prefix.Length == 0 ? RootInterface : PeerInterface;
            foreach (string setting in new[] { "accept_dad=0", "dad_transmits=0", "router_solicitations=0", "accept_ra=0" })
                Check([.. prefix, "sysctl", "-qw", $"net.ipv6.conf.{device}.{setting}"]);
            Check([.. prefix, "ip", "link", "set", device, "addrgenmode", "none"]);
        }
        Check("sysctl", "-qw", $"net.ipv4.conf.{RootInterface}.rp_filter=1");
        Check("ip", "addr", "add", RootV4 + "/30", "dev", RootInterface);
        Check("ip", "-n", Namespace, "addr", "add", PeerV4 + "/30", "dev", PeerInterface);
        Check("ip", "addr", "add", RootV6 + "/64", "dev", RootInterface, "nodad");
        Check("ip", "-n", Namespace, "addr", "add", PeerV6 + "/64", "dev", PeerInterface, "nodad");
        Check("ip", "link", "set", RootInterface, "up");
        Check("ip", "-n", Namespace, "link", "set", PeerInterface, "up");
        Check("ip", "-n", Namespace, "link", "set", "lo", "up");

        string rootMac = File.ReadAllText($"/sys/class/net/{RootInterface}/address").Trim();
        string peerMac = Check("ip", "netns", "exec", Namespace, "cat", $"/sys/class/net/{PeerInterface}/address").Trim();
        Check("ip", "neigh", "replace", PeerV4, "lladdr", peerMac, "dev", RootInterface, "nud", "permanent");
        Check("ip", "-n", Namespace, "neigh", "replace", RootV4, "lladdr", rootMac, "dev", PeerInterface, "nud", "permanent");
        Check("ip", "neigh", "replace", PeerV6, "lladdr", peerMac, "dev", RootInterface, "nud", "permanent");
        Check("ip", "-n", Namespace, "neigh", "replace", RootV6, "lladdr", rootMac, "dev", PeerInterface, "nud", "permanent");
        // Joining the solicited-node groups sends a few unsolicited MLD reports (1 s apart); let them pass.
        Thread.Sleep(TimeSpan.FromSeconds(3));
    }

    /// <summary>Runs a command inside the namespace and fails with its output if it fails.</summary>
    public string InNamespace(params string[] command) => Check(["ip", "netns", "exec", Namespace, .. command]);

    public BackgroundProcess StartInNamespace(params string[] command) => BackgroundProcess.Start("ip", ["netns", "exec", Namespace, .. command]);

    public void Dispose() => Remove();

    private static void Remove()
    {
        ChildProcess.Run("ip", ["netns", "del", Namespace], CommandTimeout);
        if (Directory.Exists($"/sys/class/net/{RootInterface}")) ChildProcess.Run("ip", ["link", "del", RootInterface], CommandTimeout);
    }

    private static string Check(params string[] command)
    {
        ProcessResult result = ChildProcess.Run(command[0], command[1..], CommandTimeout);
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"{string.Join(' ', command)} failed ({result.ExitCode}): {result.StandardError.Trim()} {result.StandardOutput.Trim()}");
        return result.StandardOutput;
    }
}
