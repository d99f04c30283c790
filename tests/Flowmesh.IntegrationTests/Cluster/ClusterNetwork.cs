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
    /// <summary>
    /// Name prefix and /24 of the LAN: fmc and 10.77.0 unless FLOWMESH_CLUSTER_NAME / FLOWMESH_CLUSTER_NET say
    /// otherwise (e.g. fmcb and 10.77.1 for a second checkout testing at the same time); passed on to the scripts
    /// as FMC_NAME / FMC_NET.
    /// </summary>
    public static readonly string Prefix = Environment.GetEnvironmentVariable("FLOWMESH_CLUSTER_NAME") is { Length: > 0 } p ? p : "fmc";

    public static readonly string Subnet = Environment.GetEnvironmentVariable("FLOWMESH_CLUSTER_NET") is { Length: > 0 } n ? n : "10.77.0";
    public const int CannotRunHere = 77;
    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromSeconds(120);

    /// <summary>
    /// The fmc names are machine-wide, and several test processes (other worktrees, other test classes that reuse
    /// this harness) may want the LAN at once: whoever builds it holds this exclusive file lock until it is torn
    /// down, and the others wait. Without it, one process's "remove leftovers" deletes another's running cluster.
    /// </summary>
    public static readonly string LockFile = $"/tmp/{Prefix}-cluster.lock";
    private static readonly TimeSpan LockTimeout = TimeSpan.FromMinutes(15);

    private FileStream? _lock;

    private ClusterNetwork(int nodes, FileStream machineLock)
    {
        Nodes = nodes;
        _lock = machineLock;
    }

    /// <summary>How long <see cref="Create"/> waited for another process's cluster to go away.</summary>
    public TimeSpan WaitedForLock { get; private init; }

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
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var network = new ClusterNetwork(nodes, AcquireMachineLock()) { WaitedForLock = clock.Elapsed };
        try
        {
            network.Recreate();
            return network;
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <summary>Runs cluster-up.sh (again): removes whatever fmc LAN exists and builds a fresh one.</summary>
    public void Recreate()
    {
        ObjectDisposedException.ThrowIf(_lock is null, this);
        ProcessResult result = RunScript("cluster-up.sh", Nodes.ToString(CultureInfo.InvariantCulture));
        if (result.ExitCode != 0) throw new InvalidOperationException($"cluster-up.sh {Nodes} failed ({result.ExitCode}): {result.StandardError.Trim()}");
    }

    private static FileStream AcquireMachineLock()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            try
            {
                // FileShare.None is an exclusive flock on Linux: held until disposed, released by the kernel if we die.
                return new FileStream(LockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (clock.Elapsed < LockTimeout)
            {
                Thread.Sleep(500);
            }
        }
    }

    public static string Namespace(int node) => $"{Prefix}-n{node}";

    /// <summary>The interface inside node's namespace (the agent captures here).</summary>
    public static string Interface(int node) => $"{Prefix}-e{node}";

    /// <summary>The root-side end of node's veth pair, a port of the bridge.</summary>
    public static string BridgePort(int node) => $"{Prefix}-v{node}";

    public static string Address(int node) => $"{Subnet}.{node.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Takes the node off the LAN: its bridge port goes down, its own interface loses carrier.</summary>
    public void Cut(int node) => Check("ip", "link", "set", BridgePort(node), "down");

    public void Heal(int node) => Check("ip", "link", "set", BridgePort(node), "up");

    /// <summary>Runs a command in node's namespace to completion.</summary>
    public static ProcessResult RunIn(int node, TimeSpan timeout, params string[] command) =>
        ChildProcess.Run("ip", ["netns", "exec", Namespace(node), .. command], timeout);

    /// <summary>Removes every fmc namespace, link and the bridge (cluster-down.sh), then lets the next user in.</summary>
    public void Dispose()
    {
        if (_lock is null) return;
        try
        {
            ProcessResult result = RunScript("cluster-down.sh");
            if (result.ExitCode != 0) throw new InvalidOperationException($"cluster-down.sh failed ({result.ExitCode}): {result.StandardError.Trim()}");
        }
        finally
        {
            _lock.Dispose();
            _lock = null;
        }
    }

    /// <summary>The fmc namespaces that exist now (to prove the teardown).</summary>
    public static IReadOnlyList<string> ExistingNamespaces() =>
        ChildProcess.Run("ip", ["netns", "list"], ScriptTimeout).StandardOutput
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ')[0])
            .Where(name => name.StartsWith(Prefix + "-", StringComparison.Ordinal))
            .ToList();

    /// <summary>The fmc links in the root namespace (bridge and root ends of the veth pairs).</summary>
    public static IReadOnlyList<string> ExistingRootLinks() =>
        Directory.GetDirectories("/sys/class/net").Select(Path.GetFileName).OfType<string>()
            .Where(name => name.StartsWith(Prefix + "-", StringComparison.Ordinal)).ToList();

    private static ProcessResult RunScript(string script, params string[] arguments) =>
        ChildProcess.Run("env", [$"FMC_NAME={Prefix}", $"FMC_NET={Subnet}", "bash", Path.Combine(RepositoryLayout.TestbedDirectory, script), .. arguments], ScriptTimeout);

    private static void Check(params string[] command)
    {
        ProcessResult result = ChildProcess.Run(command[0], command[1..], ScriptTimeout);
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"{string.Join(' ', command)} failed ({result.ExitCode}): {result.StandardError.Trim()}");
    }
}
