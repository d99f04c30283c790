namespace Flowmesh.Capture.Tests.Ebpf;

/// <summary>
/// A veth pair between the root namespace and a namespace of our own, with private addresses and a link
/// kept quiet on purpose (static neighbours, no DAD/router solicitation, no link-local address): the
/// comparison with tcpdump must not be disturbed by packets the kernel sends on its own at the edges of
/// the capture windows. Strict reverse-path filtering on the root side makes the kernel drop spoofed
/// sources (after TC and tcpdump saw them) instead of answering them through the default route.
/// Dispose deletes the namespace and with it the pair.
/// </summary>
internal sealed class VethNamespace : IDisposable
{
    private VethNamespace(string name, string rootInterface, string peerInterface, string rootV4, string peerV4, string? rootV6, string? peerV6)
    {
        Name = name;
        RootInterface = rootInterface;
        PeerInterface = peerInterface;
        RootV4 = rootV4;
        PeerV4 = peerV4;
        RootV6 = rootV6;
        PeerV6 = peerV6;
    }

    public string Name { get; }
    public string RootInterface { get; }
    public string PeerInterface { get; }
    public string RootV4 { get; }
    public string PeerV4 { get; }
    public string? RootV6 { get; }
    public string? PeerV6 { get; }

    /// <param name="v4Base">e.g. "10.254.217.0": root gets .1, the namespace .2 of the /30 (offsets 1 and 2).</param>
    public static VethNamespace Create(string name, string rootInterface, string peerInterface, string v4Base, string? v6Prefix)
    {
        Remove(name, rootInterface);
        string[] octets = v4Base.Split('.');
        int last = int.Parse(octets[3], System.Globalization.CultureInfo.InvariantCulture);
        string rootV4 = $"{octets[0]}.{octets[1]}.{octets[2]}.{last + 1}";
        string peerV4 = $"{octets[0]}.{octets[1]}.{octets[2]}.{last + 2}";
        var pair = new VethNamespace(name, rootInterface, peerInterface, rootV4, peerV4,
            v6Prefix is null ? null : v6Prefix + "1", v6Prefix is null ? null : v6Prefix + "2");
        try
        {
            pair.Build();
            return pair;
        }
        catch
        {
            pair.Dispose();
            throw;
        }
    }

    private void Build()
    {
        Command.Check("ip", "netns", "add", Name);
        Command.Check("ip", "link", "add", RootInterface, "type", "veth", "peer", "name", PeerInterface, "netns", Name);
        Quiet(null, RootInterface);
        Quiet(Name, PeerInterface);
        Command.Check("sysctl", "-qw", $"net.ipv4.conf.{RootInterface}.rp_filter=1");

        Command.Check("ip", "addr", "add", RootV4 + "/30", "dev", RootInterface);
        Command.Check("ip", "-n", Name, "addr", "add", PeerV4 + "/30", "dev", PeerInterface);
        if (RootV6 is not null)
        {
            Command.Check("ip", "addr", "add", RootV6 + "/64", "dev", RootInterface, "nodad");
            Command.Check("ip", "-n", Name, "addr", "add", PeerV6 + "/64", "dev", PeerInterface, "nodad");
        }
        Command.Check("ip", "link", "set", RootInterface, "up");
        Command.Check("ip", "-n", Name, "link", "set", PeerInterface, "up");
        Command.Check("ip", "-n", Name, "link", "set", "lo", "up");

        string rootMac = File.ReadAllText($"/sys/class/net/{RootInterface}/address").Trim();
        string peerMac = Command.Check("ip", "netns", "exec", Name, "cat", $"/sys/class/net/{PeerInterface}/address").Trim();
        Command.Check("ip", "neigh", "replace", PeerV4, "lladdr", peerMac, "dev", RootInterface, "nud", "permanent");
        Command.Check("ip", "-n", Name, "neigh", "replace", RootV4, "lladdr", rootMac, "dev", PeerInterface, "nud", "permanent");
        if (RootV6 is not null)
        {
            Command.Check("ip", "neigh", "replace", PeerV6!, "lladdr", peerMac, "dev", RootInterface, "nud", "permanent");
            Command.Check("ip", "-n", Name, "neigh", "replace", RootV6, "lladdr", rootMac, "dev", PeerInterface, "nud", "permanent");
            // Joining the solicited-node groups sends a few unsolicited MLD reports (1 s apart); let them pass.
            Thread.Sleep(TimeSpan.FromSeconds(3));
        }
    }

    private void Quiet(string? netns, string device)
    {
        string[] prefix = netns is null ? [] : ["ip", "netns", "exec", netns];
        void Sysctl(string setting) => Run(prefix, "sysctl", "-qw", setting);
        if (RootV6 is null)
        {
            Sysctl($"net.ipv6.conf.{device}.disable_ipv6=1");
        }
        else
        {
            Sysctl($"net.ipv6.conf.{device}.accept_dad=0");
            Sysctl($"net.ipv6.conf.{device}.dad_transmits=0");
            Sysctl($"net.ipv6.conf.{device}.router_solicitations=0");
            Sysctl($"net.ipv6.conf.{device}.accept_ra=0");
        }
        Run(prefix, "ip", "link", "set", device, "addrgenmode", "none");
    }

    private static void Run(string[] prefix, string file, params string[] arguments)
    {
        if (prefix.Length == 0) Command.Check(file, arguments);
        else Command.Check(prefix[0], [.. prefix[1..], file, .. arguments]);
    }

    /// <summary>Runs a command inside the namespace.</summary>
    public Command.Result Exec(TimeSpan timeout, string file, params string[] arguments) =>
        Command.Run(timeout, "ip", ["netns", "exec", Name, file, .. arguments]);

    public System.Diagnostics.Process StartIn(string file, params string[] arguments) =>
        Command.Start("ip", ["netns", "exec", Name, file, .. arguments]);

    public void Dispose() => Remove(Name, RootInterface);

    internal static void Remove(string name, string rootInterface)
    {
        Command.Run("ip", "netns", "del", name);
        if (Directory.Exists($"/sys/class/net/{rootInterface}")) Command.Run("ip", "link", "del", rootInterface);
    }
}
