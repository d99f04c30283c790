using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Flowmesh.IntegrationTests.Infrastructure;

namespace Flowmesh.IntegrationTests.Cluster;

/// <summary>
/// Five real agents (separate processes) in five namespaces on one bridge, talking real UDP/TCP with a real
/// cluster key. Truth is always independent of the node being checked: the member list is the set of agents we
/// started with the addresses we gave them; a node's records are checked against each origin's own list.
/// The facts run in step order on one cluster (see <see cref="StepOrderer"/>), each preparing what it needs.
/// </summary>
[Collection(ClusterCollection.Name)]
[TestMethodOrderer(typeof(StepOrderer))]
public sealed class ClusterTests(ClusterFixture fixture) : IClassFixture<ClusterFixture>
{
    private static readonly TimeSpan ConvergeTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan ReplicationTimeout = TimeSpan.FromSeconds(90);
    private static readonly int[] Victims = [4, 5];
    private const int Restarted = 4;
    private const int CutOff = 3;
    private const int Leaver = 2;

    private AgentCluster Cluster
    {
        get
        {
            if (fixture.SkipReason is string reason) Assert.Skip(reason);
            return fixture.Cluster;
        }
    }

    [Fact]
    public void Step1_AllMembersConvergeToAliveEverywhere()
    {
        AgentCluster cluster = Cluster;
        WaitAllAlive("every agent sees all 5 members alive");
        fixture.Report($"(a) membership converged: all 5 see 5 alive {fixture.Launched.Elapsed.TotalSeconds:0.0} s after launch");

        // Addresses are the ones we bound, incarnations are not negative, self is the answering agent.
        foreach (int node in cluster.AllNodes)
        {
            MembersReply view = AgentCluster.Api(node).Members();
            Assert.Equal(AgentCluster.Name(node), view.Self);
            Assert.Equal(cluster.AllNodes.Select(AgentCluster.Name).Order(StringComparer.Ordinal), view.Members.Select(m => m.Name).Order(StringComparer.Ordinal));
            foreach (MemberView member in view.Members)
            {
                int other = int.Parse(member.Name[1..], System.Globalization.CultureInfo.InvariantCulture);
                Assert.Equal($"{ClusterNetwork.Address(other)}:{AgentCluster.GossipPort}", member.Address);
                Assert.True(member.Incarnation >= 0 && member.SinceSeconds >= 0, $"{view.Self} reports {member}");
            }
        }

        // The user's way to look: `flowmesh members --agent URL --format json` agrees with the API.
        ProcessResult cli = ChildProcess.Run("dotnet", [AgentCluster.FlowmeshDll, "members", "--agent", AgentCluster.Api(1).BaseUrl, "--token-file", ClusterApiToken.File, "--format", "json"], TimeSpan.FromSeconds(60));
        Assert.True(cli.ExitCode == 0, $"flowmesh members failed ({cli.ExitCode}): {cli.StandardError}");
        Assert.Equal(cluster.AllNodes.Select(AgentCluster.Name).Order(StringComparer.Ordinal), CliMemberNames(cli.StandardOutput).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Step2_EveryNodeGetsEverySealedRecordOfEveryOrigin()
    {
        AgentCluster cluster = Cluster;
        var nodes = cluster.RunningNodes.ToList();
        Poll.Until("every origin sealed at least 3 records", () => nodes.All(n => OwnRecords(n).Count >= 3),
            TimeSpan.FromSeconds(30), () => cluster.Diagnostics());

        var truth = Truth(nodes);
        TimeSpan took = WaitUntilHeld("every node holds every origin's records", nodes, truth, ReplicationTimeout);
        fixture.Report($"(b) replication: {truth.Count} records of {nodes.Count} origins on all {nodes.Count} nodes {took.TotalSeconds:0.0} s after the snapshot");

        // Nothing invented: what a node lists for an origin, the origin itself has (read after, so it has sealed it).
        foreach (int holder in nodes)
        {
            var held = AgentCluster.Api(holder).Records();
            foreach (int origin in nodes)
            {
                var own = OwnRecords(origin);
                foreach (var (key, hash) in held.Where(r => r.Key.Origin == AgentCluster.Name(origin)))
                {
                    Assert.True(own.TryGetValue(key, out string? ownHash), $"{AgentCluster.Name(holder)} lists {key}, which its origin does not have");
                    Assert.True(ownHash == hash, $"{AgentCluster.Name(holder)} holds {key} with content hash {hash}, origin has {ownHash}");
                }
            }
        }
    }

    [Fact]
    public void Step3_KillNineTwoAgents_OthersMarkThemDeadWithinTheBoundAndKeepServingTheirRecords()
    {
        AgentCluster cluster = Cluster;
        EnsureAllRunning();
        var survivors = cluster.AllNodes.Except(Victims).ToList();
        TimeSpan detection = KillAndAwaitDead(Victims);
        TimeSpan bound = ClusterFixture.DetectionBound(cluster.Size);
        fixture.Report($"(c) kill -9 of {string.Join(", ", Victims.Select(AgentCluster.Name))}: all survivors saw both dead after {detection.TotalSeconds:0.0} s " +
                       $"(documented worst case {bound.TotalSeconds:0} s, typical < {ClusterFixture.TypicalDetection(cluster.Size).TotalSeconds:0} s)");

        foreach (int victim in Victims)
        {
            // Only what the survivors were seen holding: a record sealed in the last moments before the kill may have
            // reached no one, and then no one can serve it.
            var before = fixture.Killed[victim].ReplicatedOwnRecords;
            foreach (int survivor in survivors)
            {
                var served = AgentCluster.Api(survivor).Records(AgentCluster.Name(victim));
                AssertContains(before, served, $"{AgentCluster.Name(survivor)} serving dead {AgentCluster.Name(victim)}'s records");
            }
        }
    }

    [Fact]
    public void Step4_RestartedAgentRejoinsWithHigherIncarnationAndKeepsItsSealedRecords()
    {
        AgentCluster cluster = Cluster;
        if (!fixture.Killed.ContainsKey(Restarted) || cluster.IsRunning(Restarted))
        {
            EnsureAllRunning();
            KillAndAwaitDead([Restarted]);
        }
        var before = fixture.Killed[Restarted];
        string name = AgentCluster.Name(Restarted);

        var clock = Stopwatch.StartNew();
        cluster.Launch(Restarted);
        cluster.WaitForApi(Restarted);
        TimeSpan apiUp = clock.Elapsed;
        var running = cluster.RunningNodes.ToList();
        TimeSpan rejoined = Poll.Until($"{name} alive with an incarnation above {before.Incarnation} in every view, and it sees every running node alive",
            () => running.All(n =>
            {
                MembersReply view = AgentCluster.Api(n).Members();
                return view.Find(name) is { IsAlive: true } m && m.Incarnation > before.Incarnation
                       && (n != Restarted || running.All(o => view.StateOf(AgentCluster.Name(o)) == "alive"));
            }),
            ConvergeTimeout, () => cluster.Diagnostics());
        long after = running.Min(n => AgentCluster.Api(n).Members().Find(name)!.Incarnation);
        fixture.Report($"(d) restart of {name} (same data dir): API up {apiUp.TotalSeconds:0.0} s after launch, alive everywhere with incarnation {after} " +
                       $"(was {before.Incarnation}) {(apiUp + rejoined).TotalSeconds:0.0} s after launch");

        AssertContains(before.OwnRecords, AgentCluster.Api(Restarted).Records(name), $"{name}'s own records after the restart");
        AssertContains(before.AllRecords, AgentCluster.Api(Restarted).Records(), $"every record {name} held before the kill");
    }

    [Fact]
    public void Step5_CutOffNodeIsSuspectedAndAfterHealingAllAreAliveAndRecordsReconcile()
    {
        AgentCluster cluster = Cluster;
        EnsureAllRunning();
        string name = AgentCluster.Name(CutOff);
        var others = cluster.AllNodes.Where(n => n != CutOff).ToList();
        var inside = new AgentApi(CutOff, inside: true);
        int ownAtCut = inside.Records(name).Count;

        var clock = Stopwatch.StartNew();
        cluster.Network.Cut(CutOff);
        try
        {
            TimeSpan suspected = Poll.Until($"every other node sees {name} suspect or dead",
                () => others.All(n => AgentCluster.Api(n).Members().StateOf(name) is "suspect" or "dead"),
                ClusterFixture.DetectionBound(cluster.Size), () => cluster.Diagnostics());
            // Keep it cut until it sealed two records the others cannot have, so there is something to reconcile.
            Poll.Until($"{name} sealed 2 records during the cut", () => inside.Records(name).Count >= ownAtCut + 2,
                TimeSpan.FromSeconds(30), () => cluster.Diagnostics());
            while (clock.Elapsed < TimeSpan.FromSeconds(10)) Thread.Sleep(200);
            var isolated = inside.Records(name);
            var seenOutside = AgentCluster.Api(others[0]).Records(name);
            Assert.True(isolated.Keys.Any(k => !seenOutside.ContainsKey(k)),
                $"the cut was not effective: {AgentCluster.Name(others[0])} already has all {isolated.Count} records of {name}");
            string states = string.Join(", ", others.Select(n => $"{AgentCluster.Name(n)} sees {AgentCluster.Api(n).Members().StateOf(name)}"));
            string ownView;
            try { ownView = inside.Members().ToString(); } catch (AgentApiException e) { ownView = e.Message; }
            fixture.Report($"(e) cut {name} (bridge port down): all others saw it suspect/dead after {suspected.TotalSeconds:0.0} s; " +
                           $"at heal ({clock.Elapsed.TotalSeconds:0.0} s): {states}; its own view: {ownView}");
        }
        finally
        {
            cluster.Network.Heal(CutOff);
        }

        TimeSpan healed = WaitAllAlive($"all 5 alive everywhere after healing {name}");
        var truth = Truth(cluster.AllNodes.ToList());
        TimeSpan reconciled = WaitUntilHeld("record sets reconciled (union) after the heal", cluster.AllNodes.ToList(), truth, ReplicationTimeout);
        fixture.Report($"(e) heal of {name}: all alive everywhere after {healed.TotalSeconds:0.0} s; {truth.Count} records on every node " +
                       $"{reconciled.TotalSeconds:0.0} s after that");
    }

    [Fact]
    public void Step6_SigtermLeavesGracefully_OthersShowLeftNeverDead()
    {
        AgentCluster cluster = Cluster;
        EnsureAllRunning();
        WaitAllAlive("all alive before the leave");
        string name = AgentCluster.Name(Leaver);
        var others = cluster.AllNodes.Where(n => n != Leaver).ToList();
        var seen = new HashSet<string>();
        var clock = Stopwatch.StartNew();
        int exitCode = cluster.Terminate(Leaver, TimeSpan.FromSeconds(15));
        TimeSpan stopped = clock.Elapsed;
        TimeSpan left = Poll.Until($"every other node sees {name} left", () =>
        {
            var states = others.Select(n => AgentCluster.Api(n).Members().StateOf(name)).ToList();
            seen.UnionWith(states);
            return states.All(s => s == "left");
        }, TimeSpan.FromSeconds(20), () => cluster.Diagnostics());
        fixture.Report($"(f) SIGTERM {name}: exited {exitCode} after {stopped.TotalSeconds:0.0} s, all others show left after {left.TotalSeconds:0.0} s (states seen: {string.Join(", ", seen)})");
        Assert.Equal(0, exitCode);
        Assert.DoesNotContain("dead", seen);
    }

    // ---- steps shared by the facts ----

    private TimeSpan WaitAllAlive(string what)
    {
        AgentCluster cluster = fixture.Cluster;
        var nodes = cluster.RunningNodes.ToList();
        return Poll.Until(what, () => nodes.All(n =>
        {
            MembersReply view = AgentCluster.Api(n).Members();
            return nodes.All(o => view.StateOf(AgentCluster.Name(o)) == "alive");
        }), ConvergeTimeout, () => cluster.Diagnostics());
    }

    /// <summary>Starts every agent that is not running (same data dir) and waits until all are alive everywhere.</summary>
    private void EnsureAllRunning()
    {
        AgentCluster cluster = fixture.Cluster;
        var stopped = cluster.AllNodes.Where(n => !cluster.IsRunning(n)).ToList();
        foreach (int node in stopped) cluster.Launch(node);
        foreach (int node in stopped) cluster.WaitForApi(node);
        TimeSpan took = WaitAllAlive("all agents alive everywhere");
        if (stopped.Count > 0) fixture.Report($"restarted {string.Join(", ", stopped.Select(AgentCluster.Name))}: all alive everywhere after {took.TotalSeconds:0.0} s");
    }

    /// <summary>
    /// Lets the victims' records reach everyone else, notes what each victim had and how the cluster saw its
    /// incarnation, kill -9s them and waits (within the documented bound) until every other running node sees them
    /// dead. Returns the time from the kill until the last survivor saw the last victim dead.
    /// </summary>
    private TimeSpan KillAndAwaitDead(IReadOnlyList<int> victims)
    {
        AgentCluster cluster = fixture.Cluster;
        var survivors = cluster.RunningNodes.Except(victims).ToList();
        var own = Truth(victims);
        WaitUntilHeld("survivors hold the victims' records before the kill", survivors, own, ReplicationTimeout);
        foreach (int victim in victims)
        {
            string name = AgentCluster.Name(victim);
            long incarnation = cluster.RunningNodes.Max(n => AgentCluster.Api(n).Members().Find(name)?.Incarnation ?? -1);
            var replicated = own.Where(r => r.Key.Origin == name).ToDictionary(r => r.Key, r => r.Value);
            fixture.Killed[victim] = new ClusterFixture.BeforeKill(incarnation, replicated, OwnRecords(victim), AgentCluster.Api(victim).Records());
        }

        var clock = Stopwatch.StartNew();
        foreach (int victim in victims) cluster.Kill9(victim);
        TimeSpan bound = ClusterFixture.DetectionBound(cluster.Size);
        return Poll.Until($"every survivor sees {string.Join(", ", victims.Select(AgentCluster.Name))} dead (documented bound {bound.TotalSeconds:0} s)",
            () => survivors.All(s =>
            {
                MembersReply view = AgentCluster.Api(s).Members();
                return victims.All(v => view.StateOf(AgentCluster.Name(v)) == "dead");
            }), bound, () => cluster.Diagnostics());
    }

    private static IReadOnlyDictionary<RecordKey, string> OwnRecords(int node) => AgentCluster.Api(node).Records(AgentCluster.Name(node));

    /// <summary>The union of each origin's own list: the independent truth of what everyone should hold.</summary>
    private static Dictionary<RecordKey, string> Truth(IEnumerable<int> origins)
    {
        var truth = new Dictionary<RecordKey, string>();
        foreach (int origin in origins)
        {
            var own = OwnRecords(origin);
            Assert.True(own.Count > 0, $"{AgentCluster.Name(origin)} has sealed no record of its own");
            Assert.All(own.Keys, k => Assert.Equal(AgentCluster.Name(origin), k.Origin));
            foreach (var (key, hash) in own) truth[key] = hash;
        }
        return truth;
    }

    private TimeSpan WaitUntilHeld(string what, IReadOnlyList<int> holders, IReadOnlyDictionary<RecordKey, string> truth, TimeSpan timeout)
    {
        return Poll.Until(what, () => holders.All(h => Missing(AgentCluster.Api(h).Records(), truth).Count == 0), timeout, () =>
        {
            var text = new StringBuilder();
            foreach (int holder in holders)
            {
                try
                {
                    var missing = Missing(AgentCluster.Api(holder).Records(), truth);
                    text.Append(AgentCluster.Name(holder)).Append(": missing ").Append(missing.Count).Append(" of ").Append(truth.Count);
                    foreach (var group in missing.GroupBy(k => k.Origin)) text.Append(", ").Append(group.Key).Append(' ').Append(group.Count()).Append(" (e.g. ").Append(group.First()).Append(')');
                    text.Append('\n');
                }
                catch (AgentApiException e)
                {
                    text.Append(AgentCluster.Name(holder)).Append(": ").Append(e.Message).Append('\n');
                }
            }
            return text + fixture.Cluster.Diagnostics();
        });
    }

    /// <summary>Ids of <paramref name="expected"/> not held; a held id with another content hash is a failure at once.</summary>
    private static List<RecordKey> Missing(IReadOnlyDictionary<RecordKey, string> held, IReadOnlyDictionary<RecordKey, string> expected)
    {
        var missing = new List<RecordKey>();
        foreach (var (key, hash) in expected)
        {
            if (!held.TryGetValue(key, out string? heldHash)) missing.Add(key);
            else if (heldHash != hash) Assert.Fail($"{key}: content hash {heldHash} differs from the origin's {hash}");
        }
        return missing;
    }

    private static void AssertContains(IReadOnlyDictionary<RecordKey, string> expected, IReadOnlyDictionary<RecordKey, string> actual, string what)
    {
        var missing = Missing(actual, expected);
        Assert.True(missing.Count == 0, $"{what}: {missing.Count} of {expected.Count} missing, e.g. {string.Join(", ", missing.Take(5))}");
    }

    /// <summary>Member names from `flowmesh members --format json`: one object per line, or one array or object.</summary>
    private static List<string> CliMemberNames(string output)
    {
        string text = output.Trim();
        if (text.StartsWith('{') && !text.Contains('\n'))
        {
            using var one = JsonDocument.Parse(text);
            if (one.RootElement.TryGetProperty("members", out var members)) return members.EnumerateArray().Select(m => m.GetProperty("name").GetString()!).ToList();
        }
        if (text.StartsWith('[') || text.StartsWith('{') && text.Contains("\"members\""))
        {
            try
            {
                using var document = JsonDocument.Parse(text);
                var rows = document.RootElement.ValueKind == JsonValueKind.Array ? document.RootElement : document.RootElement.GetProperty("members");
                return rows.EnumerateArray().Select(m => m.GetProperty("name").GetString()!).ToList();
            }
            catch (JsonException)
            {
                // fall through to JSON lines
            }
        }
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => { using var d = JsonDocument.Parse(line); return d.RootElement.GetProperty("name").GetString()!; }).ToList();
    }
}
