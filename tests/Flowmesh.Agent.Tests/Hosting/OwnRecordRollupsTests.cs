using Flowmesh.Agent.Hosting;
using Flowmesh.Agent.Storage;
using Flowmesh.Agent.Tests.Storage;
using Flowmesh.Agent.ViewSources;
using Flowmesh.Core.Epochs;
using Flowmesh.Core.Views;
using Flowmesh.Gossip;
using Flowmesh.Gossip.Records;
using Flowmesh.Gossip.Security;
using static Flowmesh.Agent.Tests.Views.ViewTestTraffic;

namespace Flowmesh.Agent.Tests.Hosting;

/// <summary>
/// The agent's roll-ups in its real SQLite store: which intervals are rolled up and when, that they are signed like
/// own records, that a peer keeps serving them after the origin is gone and after its raw records expired, and that the
/// view over them counts the traffic exactly once.
/// </summary>
public sealed class OwnRecordRollupsTests : IDisposable
{
    private const long Minute = 60 * Second;
    private const int Seconds = 1500; // 25 min of traffic from T0 (20 s past a minute, 200 s past a 10 min boundary)
    private readonly StorageFixture _origin = new();
    private readonly StorageFixture _peer = new();
    private readonly NodeIdentity _other = NodeIdentity.Generate();

    public void Dispose()
    {
        _origin.Dispose();
        _peer.Dispose();
        _other.Dispose();
    }

    [Fact]
    public void CompleteIntervalsAreRolledUpOnceSignedAndReadByTheViewExactlyOnce()
    {
        var traffic = Generate(seed: 21, origins: 2, start: T0, seconds: Seconds);
        using var database = _origin.Open();
        var sealer = new RecordSealer(database.Identity, new NodeId(Origin(0)));
        foreach (var r in traffic.Records)
        {
            database.Records.Write(r.Id.Origin == Origin(0) ? sealer.Seal(r)
                : new VerifiedRecord(r.Id, r.ContentHash, SignedRecord.Create(_other, new NodeId(r.Id.Origin), r.Encode()).Encode()));
        }
        var rollups = new OwnRecordRollups(database.Records, sealer, Key, RecordRetention.Default, Epoch, TextWriter.Null);
        Assert.Equal(TimeSpan.FromSeconds(20), rollups.Grace);

        long now = T0 + (Seconds + 10) * Second;
        int built = rollups.RollUpDue(now);
        // Minutes start at T0 − 20 s + k min; due when they ended 20 s before now: k = 0..24. 10 min intervals start at
        // T0 − 200 s + k × 10 min: the first two are due. No hour is complete. The peer's records are never rolled up.
        var ids = database.Records.IdsOf(Origin(0));
        var minutes = ids.Where(id => id.LengthMicros == Minute).Select(id => id.StartMicros).Order().ToList();
        Assert.Equal(Enumerable.Range(0, 25).Select(k => T0 - 20 * Second + k * Minute), minutes);
        Assert.Equal([T0 - 200 * Second, T0 + 400 * Second], ids.Where(id => id.LengthMicros == 10 * Minute).Select(id => id.StartMicros).Order());
        Assert.DoesNotContain(ids, id => id.LengthMicros == 60 * Minute);
        Assert.All(database.Records.IdsOf(Origin(1)), id => Assert.Equal(10 * Second, id.LengthMicros));
        Assert.Equal(27, built);
        Assert.Equal(27, rollups.Written);
        Assert.Equal(0, rollups.Failures);

        // Idempotent: nothing new until the next interval completes.
        Assert.Equal(0, rollups.RollUpDue(now));
        Assert.Equal(1, rollups.RollUpDue(now + Minute)); // the minute that started at T0 + 1480 s

        // A roll-up is a signed record of its origin: it passes the validator a peer runs, and holds its parts' traffic.
        var trust = new TrustedOrigins();
        trust.Pin(new NodeId(Origin(0)), database.Identity.PublicKey);
        var validator = new RecordValidator(trust, Key, new ReplicationOptions(), new ManualTime(DateTimeOffset.FromUnixTimeMilliseconds(now / 1000)));
        var ten = new EpochId(Origin(0), T0 + 400 * Second, 10 * Minute);
        var envelope = database.Records.Read(ten)!;
        Assert.True(validator.TryVerify(envelope, out _, out var why), why.ToString());
        Assert.True(SignedRecord.TryDecode(envelope, out var signed, out _));
        var decoded = EpochRecord.Decode(signed!.Record, Key);
        var parts = traffic.Records.Where(r => r.Id.Origin == Origin(0) && r.Id.StartMicros >= ten.StartMicros && r.Id.EndMicros <= ten.EndMicros).ToList();
        Assert.Equal(60, parts.Count);
        Assert.Equal(parts.Aggregate(0UL, (s, r) => s + r.Totals.All.Bytes), decoded.Totals.All.Bytes);
        Assert.Equal(parts.Aggregate(0UL, (s, r) => s + r.Totals.All.Packets), decoded.Totals.All.Packets);

        // The view of 40 min from a minute boundary (preferring records of at most 100 s): node-0 is read from its minute
        // roll-ups only (the 10 min one split into its complete minutes; the last minute was rolled up just above), node-1
        // from its 10 s records, and the totals are exactly the packets' (truth from the generator, not the view).
        var window = ViewWindow.Between(T0 + 40 * Second, T0 + 40 * Second + 40 * Minute);
        var source = new RecordStoreViewSource(database.Records, Key, () => [], TimeProvider.System, Epoch);
        var records = source.RecordsOverlapping(window.FromMicros, window.ToMicros);
        Assert.All(records.Where(r => r.Id.Origin == Origin(0)), r => Assert.Equal(Minute, r.Id.LengthMicros));
        Assert.Equal(25, records.Count(r => r.Id.Origin == Origin(0)));
        var view = GlobalView.Build(records, [], now, window);
        Assert.Equal(traffic.Packets.Where(p => p.Micros >= window.FromMicros && p.Micros < window.ToMicros).Sum(p => (long)p.IpLength), (long)view.Totals().Bytes.Value);
        Assert.Equal(0, view.Coverage.OverlapsIgnored);
    }

    [Fact]
    public void ADeadOriginsRollUpsOutliveItsRawRecordsOnAPeer()
    {
        var traffic = Generate(seed: 22, origins: 1, start: T0, seconds: Seconds);
        long now = T0 + (Seconds + 10) * Second;
        var envelopes = new List<byte[]>();
        byte[] publicKey;
        using (var database = _origin.Open())
        {
            var sealer = new RecordSealer(database.Identity, new NodeId(Origin(0)));
            foreach (var r in traffic.Records) database.Records.Write(sealer.Seal(r));
            new OwnRecordRollups(database.Records, sealer, Key, RecordRetention.Default, Epoch, TextWriter.Null).RollUpDue(now);
            foreach (var id in database.Records.IdsOf(Origin(0))) envelopes.Add(database.Records.Read(id)!);
            publicKey = database.Identity.PublicKey;
        } // the origin is gone for good

        // Two days later a peer receives everything it was offered: the raw records are expired by their tier (24 h),
        // so it neither takes them nor would prune-and-refetch them; the roll-ups (7 and 30 days) are taken.
        var later = DateTimeOffset.FromUnixTimeMilliseconds(now / 1000) + TimeSpan.FromDays(2);
        using var peer = _peer.Open(new StorageOptions { Retention = RecordRetention.Default });
        var trust = new TrustedOrigins();
        var validator = new RecordValidator(trust, Key, new ReplicationOptions(), new ManualTime(later));
        // What replication's intake does with each offered envelope: verify, then store.
        foreach (var envelope in envelopes)
            if (validator.TryVerify(envelope, out var verified, out _)) peer.Records.Write(verified!);
        Assert.Equal(traffic.Records.Count, validator.Rejections[RecordRejection.Expired]);
        var held = peer.Records.IdsOf(Origin(0));
        Assert.Equal(25 + 2, held.Count);
        Assert.All(held, id => Assert.True(id.LengthMicros >= Minute));
        peer.Records.Prune(later);
        Assert.Equal(27, peer.Records.IdsOf(Origin(0)).Count);

        // The peer's view of that time: the dead origin's traffic, whole, from its roll-ups; coverage complete.
        var window = ViewWindow.Between(T0 - 20 * Second, T0 - 20 * Second + 25 * Minute);
        var source = new RecordStoreViewSource(peer.Records, Key, () => [new ExpectedOrigin(Origin(0), OriginLiveness.Dead)], new ManualTime(later), Epoch);
        var view = GlobalView.Build(source.RecordsOverlapping(window.FromMicros, window.ToMicros), source.ExpectedOrigins(), source.NowMicros, window);
        Assert.Equal(traffic.Packets.Where(p => p.Micros < window.ToMicros).Sum(p => (long)p.IpLength), (long)view.Totals().Bytes.Value);
        Assert.True(view.Coverage.IsComplete, view.Coverage.Summary);
    }
}
