using System.Globalization;
using System.Text.Json;
using Flowmesh.IntegrationTests.Infrastructure;

namespace Flowmesh.IntegrationTests.Cluster;

/// <summary>
/// Issue 16, key rotation under load, on three real agents in namespaces sharing one key file (as if copied to every
/// node at once): `flowmesh key rotate`, `key use NEW`, `key remove OLD`, each followed by the running agents, while
/// they keep sealing and replicating records (their own gossip is traffic, so every 2 s epoch has a record). Truth is
/// each origin's own list of records and the view measured before the rotation. Before this change the agent read one
/// key once at start, so nothing followed the file; and a restarted agent derived its sketch key from the new key, so
/// every stored record became unreadable.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class KeyRotationTests : IDisposable
{
    private const int Nodes = 3;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);
    private readonly SmallCluster _agents = new(Nodes);

    public void Dispose() => _agents.Dispose();

    [Fact]
    public void A_cluster_rotates_its_key_while_records_flow_and_loses_no_record_nor_history()
    {
        var cluster = _agents.Agents;
        var nodes = cluster.AllNodes.ToList();
        Poll.Until("every agent sees 3 alive and every origin sealed 3 records", () => nodes.All(n =>
            AllAlive(n)
            && AgentCluster.Api(n).Records(AgentCluster.Name(n)).Count >= 3), Timeout, () => cluster.Diagnostics());

        // History sealed before the rotation: a window that every node holds entirely, and its answer now.
        long to = ClusterClock.AlignUp(ClusterClock.Now()) - 3 * ClusterClock.EpochMicros; // sealed and stored by now
        long from = to - 10 * ClusterClock.EpochMicros;
        WaitUntilEveryNodeHoldsEveryRecord(cluster, nodes, "before the rotation");
        long before = WindowBytes(1, from, to);
        Assert.True(before > 0, "the window before the rotation holds traffic");

        string oldId = KeyIds(cluster).Single();
        string newId = Key(cluster, "rotate").Split('\n', StringSplitOptions.RemoveEmptyEntries)[1].Split(' ')[0];
        WaitForReloads(cluster, nodes, 1);
        Key(cluster, "use", newId);
        WaitForReloads(cluster, nodes, 2);
        Key(cluster, "remove", oldId);
        WaitForReloads(cluster, nodes, 3);
        Assert.Equal([newId], KeyIds(cluster));
        long rotated = ClusterClock.Now();

        // The cluster keeps working on the new key alone: records sealed after the rotation replicate everywhere.
        Poll.Until("every origin sealed 3 records after the old key was removed, and every node holds them", () => nodes.All(origin =>
            AgentCluster.Api(origin).Records(AgentCluster.Name(origin)).Keys.Count(k => k.StartMicros > rotated) >= 3), Timeout, () => cluster.Diagnostics());
        WaitUntilEveryNodeHoldsEveryRecord(cluster, nodes, "after the rotation");

        // No record lost: each origin's records follow each other with no missing epoch from its first to its newest.
        foreach (int origin in nodes)
        {
            var own = AgentCluster.Api(origin).Records(AgentCluster.Name(origin)).Keys.Where(k => k.LengthMicros <= ClusterClock.EpochMicros)
                .Select(k => k.StartMicros / ClusterClock.EpochMicros).Distinct().Order().ToList();
            var missing = Enumerable.Range(0, (int)(own[^1] - own[0] + 1)).Select(i => own[0] + i).Except(own).ToList();
            Assert.True(missing.Count == 0, $"{AgentCluster.Name(origin)} has no record for {missing.Count} epochs of its run: {string.Join(", ", missing.Take(5))}");
        }

        // History sealed before the rotation is still answered, the same, by every node, with the old key gone...
        foreach (int node in nodes) Assert.Equal(before, WindowBytes(node, from, to));
        // ...and by an agent restarted with the new file: the sketch key stayed (the file's 'sketch' line).
        Assert.Equal(0, cluster.Terminate(3, TimeSpan.FromSeconds(30)));
        cluster.Launch(3);
        cluster.WaitForApi(3);
        Assert.Equal(before, WindowBytes(3, from, to));
        Poll.Until("the restarted agent is alive again in every view", () => nodes.All(n =>
            AllAlive(n)), Timeout, () => cluster.Diagnostics());
    }

    private static bool AllAlive(int node) => AgentCluster.Api(node).Members().Members.Count(m => m.IsAlive) >= Nodes;

    private static string Key(AgentCluster cluster, params string[] arguments)
    {
        ProcessResult result = ChildProcess.Run("dotnet", [AgentCluster.FlowmeshDll, "key", .. arguments, "--key-file", cluster.KeyFile], TimeSpan.FromSeconds(60));
        Assert.True(result.ExitCode == 0, $"flowmesh key {string.Join(' ', arguments)}: exit {result.ExitCode}\n{result.StandardError}");
        foreach (string secret in File.ReadAllLines(cluster.KeyFile).Where(l => l.Length > 0 && !l.StartsWith('#')).Select(l => l.Split(' ')[^1]))
            Assert.DoesNotContain(secret, result.StandardOutput + result.StandardError); // ids only, never a key
        return result.StandardOutput;
    }

    private static List<string> KeyIds(AgentCluster cluster) =>
        [.. Key(cluster, "list").Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Split(' ')[0])];

    private static void WaitForReloads(AgentCluster cluster, IEnumerable<int> nodes, int count) =>
        Poll.Until($"every agent reloaded its keys {count} time(s)", () => nodes.All(n =>
            File.ReadAllText(cluster.LogFile(n)).Split("cluster keys reloaded").Length - 1 >= count), Timeout, () => cluster.Diagnostics());

    private static void WaitUntilEveryNodeHoldsEveryRecord(AgentCluster cluster, IReadOnlyList<int> nodes, string when) =>
        Poll.Until($"every node holds every origin's own records ({when})", () => nodes.All(origin =>
        {
            var own = AgentCluster.Api(origin).Records(AgentCluster.Name(origin));
            return nodes.All(holder => own.Keys.All(AgentCluster.Api(holder).Records(AgentCluster.Name(origin)).ContainsKey));
        }), Timeout, () => cluster.Diagnostics());

    private static long WindowBytes(int node, long from, long to)
    {
        string json = AgentCluster.Api(node).Get(string.Create(CultureInfo.InvariantCulture, $"/api/v1/traffic?from={from}&to={to}"));
        using var document = JsonDocument.Parse(json);
        return document.RootElement.GetProperty("totals").GetProperty("bytes").GetProperty("value").GetInt64();
    }
}
