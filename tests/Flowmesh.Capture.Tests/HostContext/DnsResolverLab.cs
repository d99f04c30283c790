using System.Diagnostics;
using Flowmesh.Capture.Tests.Ebpf;

namespace Flowmesh.Capture.Tests.HostContext;

/// <summary>
/// A resolver in a namespace of its own (fmdns-ns), reached from this namespace over a veth pair (fmdns0/fmdns1):
/// dnsmasq with static records for names under flowmesh.test (an A/AAAA host record on addresses behind the namespace,
/// a CNAME, a TXT), every other flowmesh.test name NXDOMAIN, and an upstream without a route for names outside it
/// (REFUSED). The host records' addresses (10.213.54.1, fd13:54::1) are routed into the namespace, so a ping to them is a
/// flow to an address the PC resolved. Dispose stops dnsmasq and deletes the namespace.
/// </summary>
internal sealed class DnsResolverLab : IDisposable
{
    public const string Namespace = "fmdns-ns";
    public const string RootInterface = "fmdns0";
    public const string ResolverV4 = "10.213.53.2";
    public const string ResolverV6 = "fd13:53::2";
    public const string HostV4 = "10.213.54.1";
    public const string HostV6 = "fd13:54::1";
    public const string HostName = "www.flowmesh.test";
    public const string AliasName = "alias.flowmesh.test";
    public const string TextName = "txt.flowmesh.test";

    private readonly VethNamespace _pair;
    private readonly Process _dnsmasq;
    private readonly string _resolvConf;

    private DnsResolverLab(VethNamespace pair, Process dnsmasq, string resolvConf)
    {
        _pair = pair;
        _dnsmasq = dnsmasq;
        _resolvConf = resolvConf;
    }

    public static DnsResolverLab Start()
    {
        var pair = VethNamespace.Create(Namespace, RootInterface, "fmdns1", "10.213.53.0", "fd13:53::");
        Process? dnsmasq = null;
        try
        {
            pair.Exec(TimeSpan.FromSeconds(10), "ip", "addr", "add", HostV4 + "/32", "dev", "fmdns1").EnsureSuccess("address");
            pair.Exec(TimeSpan.FromSeconds(10), "ip", "-6", "addr", "add", HostV6 + "/128", "dev", "fmdns1", "nodad").EnsureSuccess("address");
            Command.Check("ip", "route", "replace", HostV4 + "/32", "via", pair.PeerV4);
            Command.Check("ip", "-6", "route", "replace", HostV6 + "/128", "via", pair.PeerV6!);
            dnsmasq = pair.StartIn("dnsmasq", "--keep-in-foreground", "--log-facility=-", "--log-queries", "--pid-file=", "--user=root",
                "--no-resolv", "--no-hosts", "--bind-interfaces", $"--listen-address={ResolverV4}", $"--listen-address={ResolverV6}",
                $"--host-record={HostName},{HostV4},{HostV6}", $"--cname={AliasName},{HostName}", $"--txt-record={TextName},hello from flowmesh",
                "--local=/flowmesh.test/",
                // Names outside flowmesh.test go to an upstream without a route: dnsmasq answers REFUSED at once.
                "--server=192.0.2.1", "--cache-size=0");
            dnsmasq.OutputDataReceived += (_, _) => { };
            dnsmasq.ErrorDataReceived += (_, _) => { };
            dnsmasq.BeginOutputReadLine();
            dnsmasq.BeginErrorReadLine();
            var deadline = Stopwatch.StartNew();
            while (!Command.Run("dig", "+short", "+time=1", "+tries=1", $"@{ResolverV4}", HostName, "A").Output.Contains(HostV4, StringComparison.Ordinal))
            {
                if (dnsmasq.HasExited || deadline.Elapsed > TimeSpan.FromSeconds(20))
                    throw new InvalidOperationException("dnsmasq did not start answering in the namespace");
                Thread.Sleep(200);
            }
            string resolvConf = Path.Combine(Path.GetTempPath(), $"fmdns-resolv-{Environment.ProcessId}.conf");
            File.WriteAllText(resolvConf, $"nameserver {ResolverV4}\noptions timeout:2 attempts:1\n");
            return new DnsResolverLab(pair, dnsmasq, resolvConf);
        }
        catch
        {
            if (dnsmasq is not null) Stop(dnsmasq);
            pair.Dispose();
            throw;
        }
    }

    /// <summary>dig from this namespace (the PC); returns its full output.</summary>
    public static string Dig(params string[] arguments) => Command.Check("dig", ["+time=3", "+tries=1", .. arguments]);

    /// <summary>
    /// getent hosts as a program on the PC runs it, through the C library's resolver with this lab's resolv.conf
    /// (bind-mounted in a private mount namespace, the way `ip netns exec` does with /etc/netns/NAME/resolv.conf).
    /// </summary>
    public string Getent(string name) =>
        Command.Run("unshare", "--mount", "sh", "-c", $"mount --bind {_resolvConf} /etc/resolv.conf && exec getent ahosts {name}").Output;

    public void Dispose()
    {
        Stop(_dnsmasq);
        Command.Run("ip", "route", "del", HostV4 + "/32");
        Command.Run("ip", "-6", "route", "del", HostV6 + "/128");
        _pair.Dispose();
        File.Delete(_resolvConf);
    }

    private static void Stop(Process process)
    {
        if (!process.HasExited)
        {
            Command.Signal(process, "TERM");
            if (!process.WaitForExit(5000)) Command.Signal(process, "KILL");
        }
        process.Dispose();
    }
}
