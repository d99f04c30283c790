using System.Diagnostics;
using System.Net;
using System.Runtime.InteropServices;

namespace Flowmesh.Gossip.Tests.Discovery;

/// <summary>
/// Network namespaces on one bridge, made for one test and removed on dispose (also when the test failed): a switch
/// namespace holding the bridge (so the root namespace is never touched) and one namespace per node, each with a veth
/// into the bridge and an address in 10.231.70.0/24. All names start with "fmd" plus a random run id.
/// Code runs "inside" a node by <see cref="Run{T}"/>: a fresh thread enters the namespace with setns(2), so sockets
/// it creates live there and keep working from any thread afterwards.
/// </summary>
internal sealed class NamespaceLab : IDisposable
{
    private const int CloneNewNet = 0x40000000;
    private readonly string _id = Convert.ToHexStringLower(BitConverter.GetBytes(Random.Shared.Next()))[..4];
    private readonly List<string> _namespaces = [];

    public static string? SkipReason()
    {
        if (!OperatingSystem.IsLinux()) return "network namespaces need Linux";
        if (!Environment.IsPrivilegedProcess) return "creating network namespaces needs root (run the tests with sudo)";
        if (!File.Exists("/usr/sbin/ip") && !File.Exists("/sbin/ip") && !File.Exists("/usr/bin/ip")) return "iproute2 (ip) is not installed";
        return null;
    }

    public NamespaceLab(int nodes)
    {
        try
        {
            var sw = Namespace("sw");
            Ip($"netns add {sw}");
            _namespaces.Add(sw);
            Ip($"-n {sw} link add {Bridge} type bridge mcast_snooping 0");
            Ip($"-n {sw} link set {Bridge} up");
            for (var i = 0; i < nodes; i++)
            {
                var ns = Namespace(NodeLetter(i));
                Ip($"netns add {ns}");
                _namespaces.Add(ns);
                Ip($"link add {Interface(i)} netns {ns} type veth peer name {BridgePort(i)} netns {sw}");
                Ip($"-n {sw} link set {BridgePort(i)} master {Bridge} up");
                Ip($"-n {ns} addr add {Address(i)}/24 dev {Interface(i)}");
                Ip($"-n {ns} link set {Interface(i)} up");
                Ip($"-n {ns} link set lo up");
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string Bridge => $"fmd{_id}br";
    public string Namespace(string suffix) => $"fmd{_id}-{suffix}";
    public static string NodeLetter(int i) => ((char)('a' + i)).ToString();
    public string NodeNamespace(int i) => Namespace(NodeLetter(i));
    public string Interface(int i) => $"fmd{_id}{NodeLetter(i)}0";
    private string BridgePort(int i) => $"fmd{_id}{NodeLetter(i)}1";
    public static IPAddress Address(int i) => IPAddress.Parse($"10.231.70.{i + 1}");

    /// <summary>Runs <paramref name="work"/> on a new thread inside node <paramref name="node"/>'s namespace.</summary>
    public T Run<T>(int node, Func<T> work)
    {
        var path = $"/var/run/netns/{NodeNamespace(node)}";
        T result = default!;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                using var handle = File.OpenHandle(path);
                if (setns((int)handle.DangerousGetHandle(), CloneNewNet) != 0)
                    throw new InvalidOperationException($"setns({path}) failed: errno {Marshal.GetLastPInvokeError()}");
                result = work();
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        thread.Start();
        thread.Join();
        if (failure is not null) throw new InvalidOperationException($"in namespace {NodeNamespace(node)}: {failure.Message}", failure);
        return result;
    }

    public void Dispose()
    {
        // Deleting a namespace destroys its veth ends and the bridge with it.
        foreach (var ns in _namespaces.AsEnumerable().Reverse())
        {
            try { Ip($"netns del {ns}"); } catch (InvalidOperationException) { }
        }
        _namespaces.Clear();
    }

    private static void Ip(string arguments)
    {
        var psi = new ProcessStartInfo("ip") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries)) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEnd();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"ip {arguments}: {err.Trim()}");
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int setns(int fd, int nstype);
}
