using System.Globalization;
using Flowmesh.IntegrationTests.Infrastructure;

namespace Flowmesh.IntegrationTests.Cluster;

/// <summary>
/// The virtual LAN of testbed/cluster-up.sh: namespaces fmc-n1..fmc-nN with 10.77.0.i/24 on the bridge fmc-br, which
/// has 10.77.0.254 in the root namespace, so the test process reaches every agent's API directly. The scripts are
/// the single definition of the topology (the manual testbed and the tests build the same LAN). Dispose runs
/// cluster-down.sh, which also stops whatever still runs in the namespaces; creating a network first removes a
/// leftover one of an aborted run.
/// </summary>
internal sealed class ClusterNetwork : IDisposable
{
    public const string Subnet = "10.77.0";
    public const int CannotRunHere = 77;
    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromSeconds(120);

    private ClusterNetwork(int nodes)
    {
        Nodes = nodes;
    }

    public int Nodes { get; }

    /// <summary>Why the cluster cannot run here (not root, a tool missing), or null.</summary>
    public static string? MissingPrerequisite()
    {
        if (!Environment.IsPrivilegedProcess) return "needs root: network namespaces, a bridge and packet capture";
        foreach (string tool in new[] { "ip", "bash", "sysctl", "curl" })
        {
            if (ExternalTool.Find(tool) is null) return $"{tool} is not installed (scripts/setup.sh installs it)";
        }
        return null;
    }

    public static ClusterNetwork Create(int nodes)
    {
        var network = new ClusterNetwork(nodes);
        ProcessResult result;
        try
        {
            result = RunScript("cluster-up.sh", nodes.ToString(CultureInfo.InvariantCulture));
        }
        catch
        {
            network.Dispose();
            throw;
        }
        if (result.ExitCode != 0)
        {
            network.Dispose();
            throw new InvalidOperationException($"cluster-up.sh {nodes} failed ({result.ExitCode}): {result.StandardError.Trim()}");
        }
        return network;
    }

    public static string Namespace(int node) => $"fmc-n{node}";

    /// <summary>The interface inside node's namespace (the agent captures here).</summary>
    public static string Interface(int node) => $"fmc-e{node}";

    /// <summary>The root-side end of node's veth pair, a port of the bridge.</summary>
    public static string BridgePort(int node) => $"fmc-v{node}";

    public static string Address(int node) => $"{Subnet}.{node.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Takes the node off the LAN: its bridge port goes down, its own interface loses carrier.</summary>
    public void Cut(int node) => Check("ip", "link", "set", BridgePort(node), "down");

    public void Heal(int node) => Check("ip", "link", "set", BridgePort(node), "up");

    /// <summary>Runs a command in node's namespace to completion.</summary>
    public static ProcessResult RunIn(int node, TimeSpan timeout, params string[] command) =>
        ChildProcess.Run("ip", ["netns", "exec", Namespace(node), .. command], timeout);

    public void Dispose() => RemoveAll();

    /// <summary>Removes every fmc namespace, link and the bridge (what cluster-down.sh does).</summary>
    public static void RemoveAll()
    {
        ProcessResult result = RunScript("cluster-down.sh");
        if (result.ExitCode != 0) throw new InvalidOperationException($"cluster-down.sh failed ({result.ExitCode}): {result.StandardError.Trim()}");
    }

    /// <summary>The fmc namespaces that exist now (to prove the teardown).</summary>
    public static IReadOnlyList<string> ExistingNamespaces() =>
        ChildProcess.Run("ip", ["netns", "list"], ScriptTimeout).StandardOutput
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ')[0])
            .Where(name => name.StartsWith("fmc-", StringComparison.Ordinal))
            .ToList();

    /// <summary>The fmc links in the root namespace (bridge and root ends of the veth pairs).</summary>
    public static IReadOnlyList<string> ExistingRootLinks() =>
        Directory.GetDirectories("/sys/class/net").Select(Path.GetFileName).OfType<string>()
            .Where(name => name.StartsWith("fmc-", StringComparison.Ordinal)).ToList();

    private static ProcessResult RunScript(string script, params string[] arguments) =>
        ChildProcess.Run("bash", [Path.Combine(RepositoryLayout.TestbedDirectory, script), .. arguments], ScriptTimeout);

    private static void Check(params string[] command)
    {
        ProcessResult result = ChildProcess.Run(command[0], command[1..], ScriptTimeout);
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"{string.Join(' ', command)} failed ({result.ExitCode}): {result.StandardError.Trim()}");
    }
}
