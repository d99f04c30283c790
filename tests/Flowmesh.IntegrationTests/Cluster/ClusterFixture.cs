using System.Diagnostics;
using Flowmesh.Gossip.Membership;

namespace Flowmesh.IntegrationTests.Cluster;

/// <summary>
/// One 5-agent cluster for all facts of <see cref="ClusterTests"/> (started once: keeps the suite short). When it
/// cannot run here (not root, no agent command) <see cref="SkipReason"/> says why and nothing is started. Measured
/// times are printed in each fact's output and collected in cluster-timings.txt next to the test binaries.
/// </summary>
public sealed class ClusterFixture : IDisposable
{
    public const int Nodes = 5;
    private readonly List<string> _timings = [];
    private readonly AgentCluster? _cluster;

    public ClusterFixture()
    {
        SkipReason = AgentCluster.MissingPrerequisite();
        if (SkipReason is not null) return;
        Launched = Stopwatch.StartNew();
        _cluster = AgentCluster.Start(Nodes);
        Report($"cluster: {Nodes} agents launched, every API answering after {Launched.Elapsed.TotalSeconds:0.0} s " +
               $"(waited {_cluster.Network.WaitedForLock.TotalSeconds:0.0} s for the machine-wide fmc LAN lock) " +
               $"(epoch {AgentCluster.Epoch.TotalSeconds:0} s, capture {AgentCluster.Capture})");
    }

    public string? SkipReason { get; }

    /// <summary>Runs since the agents were launched.</summary>
    public Stopwatch Launched { get; } = new();

    internal AgentCluster Cluster => _cluster ?? throw new InvalidOperationException(SkipReason);

    /// <summary>
    /// What each killed agent had before the kill: its incarnation as the cluster saw it, its own records that every
    /// survivor was seen holding, and (read just before the kill, so possibly newer) its own and all records.
    /// </summary>
    internal Dictionary<int, BeforeKill> Killed { get; } = [];

    /// <summary>
    /// docs/membership.md, "Crash detection, worst case" with the LAN profile the agents run:
    /// 2 · ProbeInterval + SuspicionMax(N) + 5 s (31 s at N = 5).
    /// </summary>
    public static TimeSpan DetectionBound(int members)
    {
        var options = MembershipOptions.Lan();
        return 2 * options.ProbeInterval + options.SuspicionMaxTimeout(members) + TimeSpan.FromSeconds(5);
    }

    /// <summary>docs/membership.md, "Typical": 4 · ProbeInterval + SuspicionMin(N) + 3 s (printed, not asserted).</summary>
    public static TimeSpan TypicalDetection(int members)
    {
        var options = MembershipOptions.Lan();
        return 4 * options.ProbeInterval + options.SuspicionMinTimeout(members) + TimeSpan.FromSeconds(3);
    }

    public void Report(string line)
    {
        lock (_timings) _timings.Add(line);
        TestContext.Current.TestOutputHelper?.WriteLine(line);
    }

    public void Dispose()
    {
        _cluster?.Dispose();
        lock (_timings)
        {
            if (_timings.Count > 0) File.WriteAllLines(Path.Combine(AppContext.BaseDirectory, "cluster-timings.txt"), _timings);
        }
    }

    internal sealed record BeforeKill(
        long Incarnation,
        IReadOnlyDictionary<RecordKey, string> ReplicatedOwnRecords,
        IReadOnlyDictionary<RecordKey, string> OwnRecords,
        IReadOnlyDictionary<RecordKey, string> AllRecords);
}
