using Flowmesh.Capture.Tests.Ebpf;

namespace Flowmesh.Capture.Tests.HostContext;

/// <summary>
/// Two network namespaces of our own joined by a veth pair (no root-namespace side: nftables rules and qdiscs stay
/// inside them), for the TCP-stats and drop hooks, which see every namespace. Dispose removes both.
/// </summary>
internal sealed class TcpStatsNamespaces : IDisposable
{
    public const string Client = "fmtcp-client";
    public const string Server = "fmtcp-server";
    public const string ClientInterface = "fmtcp-c";
    public const string ServerInterface = "fmtcp-s";
    public const string ClientV4 = "10.254.231.1";
    public const string ServerV4 = "10.254.231.2";
    public const string ClientV6 = "fd00:fc:231::1";
    public const string ServerV6 = "fd00:fc:231::2";

    private TcpStatsNamespaces()
    {
    }

    public static TcpStatsNamespaces Create()
    {
        Remove();
        var pair = new TcpStatsNamespaces();
        try
        {
            Command.Check("ip", "netns", "add", Client);
            Command.Check("ip", "netns", "add", Server);
            Command.Check("ip", "-n", Client, "link", "add", ClientInterface, "type", "veth", "peer", "name", ServerInterface, "netns", Server);
            foreach (var (ns, device, v4, v6) in new[] { (Client, ClientInterface, ClientV4, ClientV6), (Server, ServerInterface, ServerV4, ServerV6) })
            {
                Command.Check("ip", "netns", "exec", ns, "sysctl", "-qw", $"net.ipv6.conf.{device}.accept_dad=0");
                Command.Check("ip", "-n", ns, "addr", "add", v4 + "/24", "dev", device);
                Command.Check("ip", "-n", ns, "addr", "add", v6 + "/64", "dev", device, "nodad");
                Command.Check("ip", "-n", ns, "link", "set", device, "up");
                Command.Check("ip", "-n", ns, "link", "set", "lo", "up");
            }
            // A new veth reports carrier only after the kernel's link watch runs (up to a second): until then IPv6 drops
            // what is sent. Wait until both families answer, so a test's first packets are not lost on the way.
            foreach (string address in new[] { ServerV4, ServerV6 })
            {
                for (int attempt = 0; Exec(Client, TimeSpan.FromSeconds(5), "ping", "-n", "-c", "1", "-W", "1", address).ExitCode != 0; attempt++)
                {
                    if (attempt == 20) throw new TimeoutException($"{address} does not answer from {Client}");
                    Thread.Sleep(100);
                }
            }
            return pair;
        }
        catch
        {
            pair.Dispose();
            throw;
        }
    }

    public static Command.Result Exec(string ns, TimeSpan timeout, string file, params string[] arguments) =>
        Command.Run(timeout, "ip", ["netns", "exec", ns, file, .. arguments]);

    public static string Check(string ns, string file, params string[] arguments) =>
        Exec(ns, TimeSpan.FromSeconds(60), file, arguments).EnsureSuccess($"{file} {string.Join(' ', arguments)} in {ns}").Output;

    public static System.Diagnostics.Process StartIn(string ns, string file, params string[] arguments) =>
        Command.Start("ip", ["netns", "exec", ns, file, .. arguments]);

    /// <summary>Loads an nftables ruleset (text) into a namespace.</summary>
    public static void Nft(string ns, string ruleset)
    {
        string file = Path.Combine(Path.GetTempPath(), $"fmtcp-{Environment.ProcessId}-{Guid.NewGuid():N}.nft");
        File.WriteAllText(file, ruleset);
        try
        {
            Check(ns, "nft", "-f", file);
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>The packets counter of the nftables rule with this comment.</summary>
    public static long NftCounter(string ns, string comment)
    {
        using var json = System.Text.Json.JsonDocument.Parse(Check(ns, "nft", "-j", "list", "ruleset"));
        foreach (var item in json.RootElement.GetProperty("nftables").EnumerateArray())
        {
            if (!item.TryGetProperty("rule", out var rule)) continue;
            if (!rule.TryGetProperty("comment", out var c) || c.GetString() != comment) continue;
            foreach (var expression in rule.GetProperty("expr").EnumerateArray())
            {
                if (expression.TryGetProperty("counter", out var counter)) return counter.GetProperty("packets").GetInt64();
            }
        }
        throw new InvalidOperationException($"no nftables rule with comment {comment} and a counter in {ns}");
    }

    public void Dispose() => Remove();

    private static void Remove()
    {
        Command.Run("ip", "netns", "del", Client);
        Command.Run("ip", "netns", "del", Server);
    }
}
