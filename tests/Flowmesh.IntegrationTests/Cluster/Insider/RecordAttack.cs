using Flowmesh.Core.Epochs;

namespace Flowmesh.IntegrationTests.Cluster.Insider;

/// <summary>
/// A record attack: the insider pushes envelopes to every agent in an anti-entropy exchange, as a peer's replicator
/// does, and the agents' record intake and store must refuse them and count why (/metrics).
/// </summary>
internal abstract class RecordAttack : InsiderAttack
{
    protected const string Rejected = "flowmesh_records_rejected_by_reason_total";
    protected const string StoreRefused = "flowmesh_records_store_refused_total";

    protected static long EpochMicros => Core.UnixMicros.FromDuration(AgentCluster.Epoch);

    /// <summary>The epoch slot <paramref name="epochsAgo"/> epochs before the current one, of <paramref name="origin"/>: settled, recent, aligned.</summary>
    protected static EpochId Slot(string origin, int epochsAgo) =>
        new(origin, EpochRollup.AlignDown(Core.UnixMicros.Now(TimeProvider.System), EpochMicros) - epochsAgo * EpochMicros, EpochMicros);

    /// <summary>One exchange per agent; each must answer (an agent that refuses pushes still replies).</summary>
    protected static void PushToAll(InsiderTargets t, params byte[][] envelopes)
    {
        foreach (int node in t.Honest)
            Assert.True(t.Insider.Push(node, envelopes), $"n{node} did not answer the insider's record exchange");
    }

    /// <summary>
    /// The judgement of a record the intake must refuse for <paramref name="reason"/>: every agent counted it (a rise of
    /// <c>flowmesh_records_rejected_by_reason_total{reason}</c> since <paramref name="before"/>) and none holds it.
    /// </summary>
    protected static (bool, string) RefusedEverywhere(InsiderTargets t, long? before, string reason, EpochRecord record)
    {
        var refused = Rise(before, t.Sum(Rejected, ("reason", reason)));
        var held = Holding(t, record.Id, record.ContentHash);
        return (refused >= t.Honest.Count && held == 0, $"{Shown(refused)} refused as {reason} (records_rejected_by_reason), agents holding that record of {record.Id.Origin}: {held}");
    }

    /// <summary>How many agents hold a record under <paramref name="id"/> whose content is <paramref name="contentHash"/>.</summary>
    protected static int Holding(InsiderTargets t, EpochId id, string contentHash) =>
        t.Honest.Count(n => AgentCluster.Api(n).Records(id.Origin).TryGetValue(new RecordKey(id.Origin, id.StartMicros, id.LengthMicros), out var hash) && hash == contentHash);
}
