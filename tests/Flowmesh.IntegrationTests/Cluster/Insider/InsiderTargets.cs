using System.Text.Json;
using Flowmesh.Gossip;

namespace Flowmesh.IntegrationTests.Cluster.Insider;

/// <summary>
/// What the attacks aim at and how they read the outcome: the real agents (n1..nN, all honest), the insider, and
/// every agent's own API (/api/v1/members, /api/v1/status, /api/v1/records, /metrics). While <see cref="Watch"/> runs, every
/// member row any agent shows is logged (polled every 100 ms), so a state that came and went between two judgements
/// is still seen.
/// </summary>
internal sealed class InsiderTargets(AgentCluster cluster, ClusterInsider insider) : IDisposable
{
    private readonly List<(int Observer, MemberView Member)> _seen = [];
    private readonly CancellationTokenSource _stop = new();
    private Task? _watcher;

    public AgentCluster Cluster { get; } = cluster;
    public ClusterInsider Insider { get; } = insider;

    public IReadOnlyList<int> Honest => [.. Cluster.AllNodes];

    /// <summary>The membership attacks' target: an ordinary member, not the seed.</summary>
    public int Victim => 2;

    public NodeId VictimName => new(AgentCluster.Name(Victim));

    public IEnumerable<int> Others => Honest.Where(n => n != Victim);

    public static string Metrics(int node) => AgentCluster.Api(node).Get("/metrics");

    /// <summary>A counter summed over every honest agent; null when the agents do not expose it.</summary>
    public long? Sum(string metric, params (string, string)[] labels)
    {
        long? total = null;
        foreach (int node in Honest)
            if (MetricSeries.Sum(Metrics(node), metric, labels) is long value) total = (total ?? 0) + value;
        return total;
    }

    /// <summary>A field of /api/v1/status's "gossip" object at <paramref name="node"/>.</summary>
    public static long GossipStatus(int node, string field)
    {
        using var status = JsonDocument.Parse(AgentCluster.Api(node).Status());
        return status.RootElement.GetProperty("gossip").GetProperty(field).GetInt64();
    }

    public static MemberView? ViewOf(int observer, string name) => AgentCluster.Api(observer).Members().Find(name);

    /// <summary>The victim's incarnation as it sees itself.</summary>
    public long VictimIncarnation => ViewOf(Victim, VictimName.Value)!.Incarnation;

    public string VictimAddress => ViewOf(Victim, VictimName.Value)!.Address;

    /// <summary>Every honest agent sees every honest agent alive.</summary>
    public bool FullMembership => Honest.All(o => Honest.All(n => ViewOf(o, AgentCluster.Name(n))?.IsAlive == true));

    /// <summary>Records <paramref name="node"/> holds of <paramref name="origin"/>: id -> envelope bytes.</summary>
    public static IReadOnlyDictionary<RecordKey, int> RecordSizes(int node, string origin)
    {
        using var listing = JsonDocument.Parse(AgentCluster.Api(node).Get($"/api/v1/records?origin={Uri.EscapeDataString(origin)}&limit={AgentApi.MaxRecords}"));
        Assert.False(listing.RootElement.GetProperty("truncated").GetBoolean(), $"n{node}: the listing of {origin}'s records is truncated");
        return listing.RootElement.GetProperty("records").EnumerateArray().ToDictionary(
            r => new RecordKey(r.GetProperty("origin").GetString()!, r.GetProperty("startMicros").GetInt64(), r.GetProperty("lengthMicros").GetInt64()),
            r => r.GetProperty("bytes").GetInt32());
    }

    public void Watch()
    {
        _watcher = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                foreach (int observer in Honest)
                {
                    try
                    {
                        foreach (var m in AgentCluster.Api(observer).Members().Members) lock (_seen) _seen.Add((observer, m));
                    }
                    catch (AgentApiException)
                    {
                        // Not an attack's effect by itself: the final membership check catches an agent that stays away.
                    }
                }
                try { await Task.Delay(100, _stop.Token); } catch (OperationCanceledException) { }
            }
        });
    }

    /// <summary>Whether any agent showed <paramref name="name"/> in a state matching <paramref name="match"/> since <see cref="Watch"/>.</summary>
    public bool AnyoneSaw(string name, Func<MemberView, bool> match)
    {
        lock (_seen) return _seen.Any(s => s.Member.Name == name && match(s.Member));
    }

    public void Dispose()
    {
        _stop.Cancel();
        try { _watcher?.Wait(TimeSpan.FromSeconds(10)); } catch (AggregateException) { }
        _stop.Dispose();
    }
}
