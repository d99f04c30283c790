using System.Diagnostics;
using System.Globalization;
using System.Text;
using Flowmesh.IntegrationTests.Infrastructure;

namespace Flowmesh.IntegrationTests.Cluster;

/// <summary>
/// N real `flowmesh agent` processes, one per namespace of a <see cref="ClusterNetwork"/>, sharing a cluster key made
/// by `flowmesh keygen` and enrolled by one cluster authority (`flowmesh ca init` in &lt;work&gt;/ca, then `flowmesh
/// enroll` per node, as an operator does; issue 16). Agent i is named n&lt;i&gt;, keeps its data in its own directory (kept across restarts), captures
/// on fmc-e&lt;i&gt;, gossips on 10.77.0.i:7946, serves its API on 10.77.0.i:7947 and joins node 1 (or, when node 1 is
/// not running, the lowest other running node). Logs: &lt;work&gt;/n&lt;i&gt;/agent.log, appended across restarts.
/// </summary>
internal sealed class AgentCluster : IDisposable
{
    public const int GossipPort = 7946;
    public static readonly TimeSpan Epoch = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan ApiStartTimeout = TimeSpan.FromSeconds(60);

    private readonly ClusterNetwork _network;
    private readonly string _workDirectory;
    private readonly string _keyFile;
    private readonly NamespacedProcess?[] _agents;
    private readonly IReadOnlyList<string> _agentArguments;

    private AgentCluster(ClusterNetwork network, string workDirectory, string keyFile, IReadOnlyList<string>? agentArguments)
    {
        _network = network;
        _workDirectory = workDirectory;
        _keyFile = keyFile;
        _agents = new NamespacedProcess?[network.Nodes + 1];
        _agentArguments = agentArguments ?? [];
    }

    public int Size => _network.Nodes;

    public ClusterNetwork Network => _network;

    public IEnumerable<int> AllNodes => Enumerable.Range(1, Size);

    public IEnumerable<int> RunningNodes => AllNodes.Where(IsRunning);

    public static string Name(int node) => "n" + node.ToString(CultureInfo.InvariantCulture);

    public static AgentApi Api(int node) => new(node);

    public bool IsRunning(int node) => _agents[node] is { HasExited: false };

    public string DataDirectory(int node) => Path.Combine(_workDirectory, Name(node), "data");

    /// <summary>The key file every agent reads (and follows while running: key rotation, issue 16).</summary>
    public string KeyFile => _keyFile;

    public string LogFile(int node) => Path.Combine(_workDirectory, Name(node), "agent.log");

    /// <summary>A scratch file in the cluster's work directory (removed with it).</summary>
    public string WorkFile(string name) => Path.Combine(_workDirectory, name);

    /// <summary>Node <paramref name="node"/>'s certificate bundle from `flowmesh enroll`.</summary>
    public string BundleFile(int node) => WorkFile(Name(node) + ".bundle");

    /// <summary>`flowmesh enroll` for <paramref name="node"/> unless its bundle exists.</summary>
    private void Enrol(int node)
    {
        if (!File.Exists(BundleFile(node)))
            RunOperatorCommand(["enroll", "--ca", WorkFile("ca"), "--name", Name(node), "--days", "2", "--out", BundleFile(node)]);
    }

    /// <summary>Runs a flowmesh CLI command of the operator's (ca, enroll) and fails with its error output.</summary>
    public static void RunOperatorCommand(IReadOnlyList<string> arguments)
    {
        ProcessResult run = ChildProcess.Run("dotnet", [FlowmeshDll, .. arguments], TimeSpan.FromSeconds(60));
        if (run.ExitCode != 0) throw new InvalidOperationException($"flowmesh {string.Join(' ', arguments)} failed ({run.ExitCode}): {run.StandardError}");
    }

    /// <summary>The CLI used for agents: FLOWMESH_CLI_DLL or the flowmesh.dll built next to the tests.</summary>
    public static string FlowmeshDll =>
        Environment.GetEnvironmentVariable("FLOWMESH_CLI_DLL") is { Length: > 0 } other ? other : RepositoryLayout.FlowmeshDll;

    /// <summary>libpcap by default (works everywhere); FLOWMESH_CLUSTER_CAPTURE=ebpf tries the eBPF backend.</summary>
    public static string Capture => Environment.GetEnvironmentVariable("FLOWMESH_CLUSTER_CAPTURE") is { Length: > 0 } c ? c : "pcap";

    /// <summary>Why agents cannot run here, or null.</summary>
    public static string? MissingPrerequisite()
    {
        if (ClusterNetwork.MissingPrerequisite() is string missing) return missing;
        if (!File.Exists(FlowmeshDll)) return $"{FlowmeshDll} does not exist";
        ProcessResult help = ChildProcess.Run("dotnet", [FlowmeshDll, "agent", "--help"], TimeSpan.FromSeconds(60));
        // An unknown command with --help prints the root help and exits 0, so look for the agent's own options.
        if (help.ExitCode != 0 || !help.StandardOutput.Contains("--data-dir", StringComparison.Ordinal))
            return $"this flowmesh build has no `agent` command yet (flowmesh agent --help: exit {help.ExitCode}, no --data-dir option listed)";
        return null;
    }

    /// <summary>Builds the LAN, makes a key and starts every agent (or the first <paramref name="launched"/>; the
    /// others' namespaces exist for <see cref="Launch"/> later, or for other programs); returns once their APIs answer.
    /// <paramref name="firstNodes"/>: which nodes to start, when not the first <paramref name="launched"/>.
    /// <paramref name="agentArguments"/>: more `flowmesh agent` options for every agent (e.g. a small --retention-mib).</summary>
    public static AgentCluster Start(int nodes, int? launched = null, IReadOnlyList<int>? firstNodes = null, IReadOnlyList<string>? agentArguments = null)
    {
        var network = ClusterNetwork.Create(nodes);
        string work = Directory.CreateTempSubdirectory("fmc-cluster-").FullName;
        AgentCluster? cluster = null;
        try
        {
            string key = Path.Combine(work, "cluster.key");
            ProcessResult keygen = ChildProcess.Run("dotnet", [FlowmeshDll, "keygen"], TimeSpan.FromSeconds(60));
            if (keygen.ExitCode != 0) throw new InvalidOperationException($"flowmesh keygen failed ({keygen.ExitCode}): {keygen.StandardError}");
            File.WriteAllText(key, keygen.StandardOutput);
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(key, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            RunOperatorCommand(["ca", "init", "--dir", Path.Combine(work, "ca")]);
            cluster = new AgentCluster(network, work, key, agentArguments);
            // Every node enrolled up front: a launch in the middle of a test must not wait for a CLI process first.
            foreach (int node in cluster.AllNodes) cluster.Enrol(node);
            var first = firstNodes?.ToList() ?? cluster.AllNodes.Take(launched ?? nodes).ToList();
            foreach (int node in first) cluster.Launch(node);
            foreach (int node in first) cluster.WaitForApi(node);
            return cluster;
        }
        catch
        {
            if (cluster is not null) cluster.Dispose();
            else
            {
                network.Dispose();
                Directory.Delete(work, recursive: true);
            }
            throw;
        }
    }

    /// <summary>Starts (or restarts, same name and data directory) the agent of <paramref name="node"/>.</summary>
    /// <param name="environment">NAME=value pairs for the agent's environment (test-only hooks such as the lying PC's).</param>
    public void Launch(int node, IReadOnlyList<string>? environment = null)
    {
        if (IsRunning(node)) throw new InvalidOperationException($"{Name(node)} is already running");
        // Close the previous run's log writer (it writes its exit line) before the new run appends to the same file:
        // two open writers would each write at their own offset and overwrite each other.
        if (_agents[node] is { } previous) previous.Dispose();
        Directory.CreateDirectory(DataDirectory(node));
        Enrol(node);
        string address = ClusterNetwork.Address(node);
        var arguments = new List<string>
        {
            FlowmeshDll, "agent",
            "--name", Name(node),
            "--data-dir", DataDirectory(node),
            "--interface", ClusterNetwork.Interface(node),
            "--capture", Capture,
            "--bind", $"{address}:{GossipPort}",
            "--api", $"{address}:{AgentApi.Port}",
            "--key-file", _keyFile,
            "--certificate", BundleFile(node),
            "--ca-certificate", Path.Combine(WorkFile("ca"), "ca.pem"),
            "--api-token-file", ClusterApiToken.File,
            "--epoch", $"{Epoch.TotalSeconds.ToString(CultureInfo.InvariantCulture)}s",
            "--no-discovery",
            "--profile", "lan",
        };
        arguments.AddRange(_agentArguments);
        int? seed = node != 1 && IsRunning(1) ? 1 : RunningNodes.Where(n => n != node).Cast<int?>().FirstOrDefault();
        if (seed is int s) arguments.AddRange(["--join", $"{ClusterNetwork.Address(s)}:{GossipPort}"]);
        _agents[node] = environment is { Count: > 0 }
            ? NamespacedProcess.Start(ClusterNetwork.Namespace(node), LogFile(node), "env", [.. environment, "dotnet", .. arguments])
            : NamespacedProcess.Start(ClusterNetwork.Namespace(node), LogFile(node), "dotnet", arguments);
    }

    /// <summary>Waits until the agent's API answers; fails with its output if it exits or stays silent.</summary>
    public void WaitForApi(int node)
    {
        var clock = Stopwatch.StartNew();
        NamespacedProcess agent = _agents[node] ?? throw new InvalidOperationException($"{Name(node)} was never started");
        while (true)
        {
            try
            {
                Api(node).Status();
                return;
            }
            catch (AgentApiException) when (!agent.HasExited && clock.Elapsed < ApiStartTimeout)
            {
                Thread.Sleep(200);
            }
            catch (AgentApiException e)
            {
                throw new InvalidOperationException(
                    $"{Name(node)}: API did not answer ({e.Message}); exited: {agent.HasExited}{(agent.HasExited ? $" with {agent.ExitCode}" : "")}\n{agent.OutputTail()}");
            }
        }
    }

    public void Kill9(int node)
    {
        NamespacedProcess agent = _agents[node] ?? throw new InvalidOperationException($"{Name(node)} was never started");
        agent.Kill9();
    }

    /// <summary>SIGTERM; returns the exit code, or fails if the agent does not stop within the timeout.</summary>
    public int Terminate(int node, TimeSpan timeout)
    {
        NamespacedProcess agent = _agents[node] ?? throw new InvalidOperationException($"{Name(node)} was never started");
        Assert.True(agent.Terminate(timeout), $"{Name(node)} did not exit within {timeout.TotalSeconds} s of SIGTERM:\n{agent.OutputTail()}");
        return agent.ExitCode;
    }

    /// <summary>Every agent's view of the members and the end of its log: what a failure message needs.</summary>
    public string Diagnostics(int logCharacters = 1500)
    {
        var text = new StringBuilder();
        foreach (int node in AllNodes)
        {
            NamespacedProcess? agent = _agents[node];
            string view;
            try { view = new AgentApi(node, inside: true).Members().ToString(); } catch (Exception e) { view = $"(no members view: {e.Message})"; }
            text.Append(CultureInfo.InvariantCulture, $"--- {Name(node)} running={IsRunning(node)} pid={agent?.Pid} view: {view}\n");
            if (agent is not null) text.Append(agent.OutputTail(logCharacters)).Append('\n');
        }
        return text.ToString();
    }

    public void Dispose()
    {
        try
        {
            var agents = _agents.OfType<NamespacedProcess>().ToList();
            foreach (NamespacedProcess agent in agents) agent.SendTerm();
            foreach (NamespacedProcess agent in agents)
            {
                if (!agent.WaitForExit(TimeSpan.FromSeconds(10))) agent.Kill9();
                agent.Dispose();
            }
        }
        finally
        {
            // Whatever failed above, the namespaces (and whatever still runs in them) and the scratch go.
            try
            {
                _network.Dispose();
            }
            finally
            {
                if (Environment.GetEnvironmentVariable("FLOWMESH_CLUSTER_KEEP") == "1")
                    TestContext.Current.SendDiagnosticMessage($"cluster logs and data kept in {_workDirectory}");
                else
                    try { Directory.Delete(_workDirectory, recursive: true); } catch (IOException) { }
            }
        }
    }
}
