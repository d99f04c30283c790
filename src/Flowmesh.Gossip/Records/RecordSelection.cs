using Flowmesh.Core.Epochs;

namespace Flowmesh.Gossip.Records;

/// <summary>The rules both sides of a session apply to decide which records are in play, and in what order.</summary>
internal static class RecordSelection
{
    /// <summary>
    /// Ids of <paramref name="origin"/> in the session's span: started at or after <paramref name="sinceMicros"/> and
    /// not expired by their tier's retention at <paramref name="nowMicros"/>. Newest first, at most <paramref name="cap"/>.
    /// </summary>
    public static List<EpochId> InSpan(IRecordStore store, string origin, long sinceMicros, RecordRetention retention, long nowMicros, int cap, out bool truncated)
    {
        var result = new List<EpochId>();
        truncated = false;
        foreach (var id in store.IdsOf(origin))
        {
            // IdsOf is newest first (the store contract), so everything after this is older still.
            if (id.StartMicros < sinceMicros) break;
            if (retention.Expired(id, nowMicros)) continue;
            if (result.Count == cap)
            {
                truncated = true;
                break;
            }
            result.Add(id);
        }
        return result;
    }

    public static bool Differs(OriginDigest? mine, OriginDigest? theirs) =>
        (mine?.Count ?? 0) != (theirs?.Count ?? 0) || (mine?.Fingerprint ?? 0) != (theirs?.Fingerprint ?? 0);

    /// <summary>
    /// Newest first; ties (same epoch, many origins) in an order that changes every session, so a budget that cuts
    /// the list does not starve the same origins every time (Scuttlebutt's fairness concern).
    /// </summary>
    public static void NewestFirst(List<EpochId> ids, ulong salt)
    {
        ids.Sort((a, b) => a.StartMicros != b.StartMicros
            ? b.StartMicros.CompareTo(a.StartMicros)
            : (OriginDigest.IdHash(a) ^ salt).CompareTo(OriginDigest.IdHash(b) ^ salt));
    }

    /// <summary>
    /// Reads envelopes for <paramref name="ids"/> (already ordered) until <paramref name="budget"/> bytes; the first
    /// always goes, so a record larger than the budget still moves. Ids no longer held are skipped.
    /// </summary>
    public static List<byte[]> WithinBudget(IRecordStore store, IEnumerable<EpochId> ids, int budget)
    {
        var envelopes = new List<byte[]>();
        long used = 0;
        foreach (var id in ids)
        {
            var envelope = store.Read(id);
            if (envelope is null) continue;
            if (envelopes.Count > 0 && used + envelope.Length > budget) break;
            envelopes.Add(envelope);
            used += envelope.Length;
        }
        return envelopes;
    }
}
