namespace Flowmesh.Gossip.Records;

/// <summary>The single path from a received envelope to the store: verify, then write; every outcome counted.</summary>
internal static class RecordIntake
{
    public static void Admit(IRecordStore store, IRecordVerifier verifier, byte[] envelope, ReplicationCounters counters, bool pulled)
    {
        if (!verifier.TryVerify(envelope, out var record, out _))
        {
            counters.RejectedOne();
            return;
        }
        if (!store.Write(record!))
        {
            counters.Duplicate();
            return;
        }
        if (pulled) counters.Pulled(); else counters.ReceivedByPush();
    }
}
