namespace Flowmesh.Gossip.Records;

/// <summary>The single path from received envelopes to the store: verify, then write; every outcome counted.</summary>
internal static class RecordIntake
{
    /// <summary>
    /// Verifies every envelope of one exchange, then stores those that passed in one <see cref="IRecordStore.WriteAll"/>
    /// (one commit for the session's records). Nothing unverified reaches the store.
    /// </summary>
    public static void AdmitAll(IRecordStore store, IRecordVerifier verifier, IReadOnlyList<byte[]> envelopes, ReplicationCounters counters, bool pulled)
    {
        var verified = new List<VerifiedRecord>(envelopes.Count);
        foreach (var envelope in envelopes)
        {
            if (verifier.TryVerify(envelope, out var record, out _)) verified.Add(record!);
            else counters.RejectedOne();
        }
        if (verified.Count == 0) return;
        foreach (bool stored in store.WriteAll(verified))
        {
            if (!stored) counters.Duplicate();
            else if (pulled) counters.Pulled();
            else counters.ReceivedByPush();
        }
    }
}
