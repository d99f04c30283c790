using System.Security.Cryptography;
using Flowmesh.Agent.Storage;
using Flowmesh.Core.Epochs;
using Flowmesh.Gossip.Records;

namespace Flowmesh.Agent.Hosting;

/// <summary>
/// Where this agent's own sealed records go: signed, stored, and from the store replicated. It also counts what it
/// published, for /status and /metrics: own traffic by protocol comes from each record's exact totals, so it equals
/// what the records say. <see cref="Publish"/> runs on the capture thread; the counters are read from any thread.
/// </summary>
internal sealed class OwnRecordPublisher(AgentDatabase database, RecordSealer sealer, TextWriter log, Action<int>? recordSized = null)
{
    /// <summary>The protocol labels of <see cref="LocalBytes"/> and <see cref="LocalPackets"/>, in <see cref="ProtocolClass"/> order.</summary>
    public static readonly string[] ProtocolLabels = ["tcp", "udp", "icmp", "other"];

    private readonly long[] _localBytes = new long[4], _localPackets = new long[4];
    private long _sealed, _skippedAlreadyStored, _storeFailures;
    private long _monitorBytes, _monitorPackets, _foreignPackets;

    /// <summary>
    /// Rolls this node's sealed records up into the retention's roll-up lengths until cancelled (<see cref="OwnRecordRollups"/>):
    /// roll-ups are own records too, so they are signed by the same sealer and stored the same way.
    /// </summary>
    public Task RollUpAsync(Core.Sketches.SketchHashKey key, RecordRetention retention, TimeSpan epochLength, CancellationToken cancellationToken) =>
        new OwnRecordRollups(database.Records, sealer, key, retention, epochLength, log).RunAsync(Core.UnixMicros.Now, cancellationToken);

    public long Sealed => Interlocked.Read(ref _sealed);
    public long SkippedAlreadyStored => Interlocked.Read(ref _skippedAlreadyStored);
    public long StoreFailures => Interlocked.Read(ref _storeFailures);
    public long MonitorBytes => Interlocked.Read(ref _monitorBytes);
    public long MonitorPackets => Interlocked.Read(ref _monitorPackets);
    public long ForeignPackets => Interlocked.Read(ref _foreignPackets);

    public Dictionary<string, long> LocalBytes() => ByProtocol(_localBytes);

    public Dictionary<string, long> LocalPackets() => ByProtocol(_localPackets);

    public void Publish(EpochRecord record)
    {
        try
        {
            // Cannot happen while records start after the stored ones (EpochSummarizerOptions.RecordsFromMicros); if
            // the id is taken anyway (the store was changed under the agent), the first copy stays, and the loss is
            // counted and said.
            if (database.Records.Contains(record.Id))
            {
                Interlocked.Increment(ref _skippedAlreadyStored);
                log.WriteLine($"flowmesh: a record for {record.Id} is already stored; this one is not recorded");
                return;
            }
            CountLocalTraffic(record);
            var signed = sealer.Seal(record);
            if (database.Records.Write(signed))
            {
                Interlocked.Increment(ref _sealed);
                recordSized?.Invoke(signed.SignedEnvelope.Length);
            }
            else Interlocked.Increment(ref _skippedAlreadyStored);
        }
        catch (Exception e) when (e is AgentDatabaseException or Microsoft.Data.Sqlite.SqliteException or IOException or CryptographicException)
        {
            Interlocked.Increment(ref _storeFailures);
            log.WriteLine($"flowmesh: could not store the record of epoch {Core.UnixMicros.Format(record.Id.StartMicros)}: {e.Message}");
        }
    }

    private void CountLocalTraffic(EpochRecord record)
    {
        foreach (ProtocolClass protocol in Enum.GetValues<ProtocolClass>())
        {
            var counters = record.Totals[protocol];
            Interlocked.Add(ref _localBytes[(int)protocol], (long)counters.Bytes);
            Interlocked.Add(ref _localPackets[(int)protocol], (long)counters.Packets);
        }
        Interlocked.Add(ref _monitorBytes, (long)record.MonitorTraffic.Bytes);
        Interlocked.Add(ref _monitorPackets, (long)record.MonitorTraffic.Packets);
        Interlocked.Add(ref _foreignPackets, (long)record.Health.ForeignPackets);
    }

    private static Dictionary<string, long> ByProtocol(long[] counts) =>
        ProtocolLabels.Select((p, i) => (p, i)).ToDictionary(x => x.p, x => Interlocked.Read(ref counts[x.i]));
}
