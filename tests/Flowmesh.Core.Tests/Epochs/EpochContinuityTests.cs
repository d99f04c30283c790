using Flowmesh.Core.Epochs;
using Flowmesh.Core.Packets;
using Flowmesh.Core.Views;
using static Flowmesh.Core.Tests.Epochs.EpochTestTraffic;

namespace Flowmesh.Core.Tests.Epochs;

/// <summary>
/// Issue 15: an agent lost its own traffic when a new run sealed an interval a previous run had already sealed (records
/// are immutable: the store keeps the first copy of an id). (a) A restart inside an epoch: the shutdown sealed the whole
/// epoch, so the rest of it was refused as already stored. (b) A clock put back after it ran ahead: the epochs sealed
/// while it was ahead collide with the new ones when real time reaches them. Each run here is a fresh summarizer that
/// knows only what the store would tell it (the end of the newest own record); byte counts are exact.
/// </summary>
public sealed class EpochContinuityTests
{
    private const long Epoch = 10 * Second;
    private static readonly long First = EpochRollup.AlignDown(Start, Epoch) + 100 * Epoch;

    [Fact]
    public void ARestartInsideAnEpochSealsTheRestOfItUnderItsOwnIntervalAndLosesNoTraffic()
    {
        var records = new List<EpochRecord>();
        // Run 1: watches from the epoch's start, 300 bytes, stops 4 s in.
        var run1 = Live(records, recordsFrom: null);
        run1.AdvanceTime(First);
        Packet(run1, First + 1 * Second, 100);
        Packet(run1, First + 3 * Second, 200);
        run1.FinishAt(First + 4 * Second);
        Assert.Equal(new EpochId("pc", First, 4 * Second), Assert.Single(records).Id);

        // Run 2, 2 s later in the same epoch: 700 bytes in it, 500 in the next.
        var run2 = Live(records, recordsFrom: records.Max(r => r.Id.EndMicros));
        run2.AdvanceTime(First + 6 * Second);
        Packet(run2, First + 7 * Second, 300);
        Packet(run2, First + 8 * Second, 400);
        for (long t = First + 9 * Second; t <= First + 20 * Second; t += Second)
        {
            run2.AdvanceTime(t);
            if (t == First + 12 * Second) Packet(run2, t, 500);
        }

        Assert.Equal([new EpochId("pc", First, 4 * Second), new EpochId("pc", First + 4 * Second, 6 * Second), new EpochId("pc", First + Epoch, Epoch)],
            records.Select(r => r.Id));
        Assert.Equal([300UL, 700UL, 500UL], records.Select(r => r.Totals.All.Bytes));
        Assert.Equal(0, run2.RecordsMoved);

        // The view takes all three once, and the origin's first epoch is covered (two records in one slot).
        var set = new EpochRecordSet();
        foreach (var r in records) Assert.Equal(EpochRecordAddResult.Added, set.Add(r));
        var view = View(records, First, First + 2 * Epoch);
        Assert.Equal(3, view.Records.Count);
        Assert.Equal(0, view.Coverage.OverlapsIgnored);
        Assert.Equal((1500.0, 5.0), (view.Totals().Bytes.Value, view.Totals().Packets.Value));
        Assert.Equal(CoverageStatus.Complete, Assert.Single(view.Coverage.Origins).Status);
        Assert.Equal([1000.0, 500.0], view.Series(TimeSpan.FromSeconds(10)).Points.Select(p => p.Bytes.Value));
        // Roll-ups merge the two parts of the first epoch.
        var minute = EpochRollup.RollUp(records, Epoch);
        Assert.Equal([(First, 1000UL), (First + Epoch, 500UL)], minute.Select(r => (r.Id.StartMicros, r.Totals.All.Bytes)));
    }

    [Fact]
    public void NoRecordIsShorterThanTheMinimumAStopOrRestartNearABoundaryFoldsIntoItsNeighbour()
    {
        var records = new List<EpochRecord>();
        // A stop 0.3 s into an epoch claims the minimum (1 s).
        var run1 = Live(records, recordsFrom: null);
        run1.AdvanceTime(First);
        Packet(run1, First + 200_000, 100);
        run1.FinishAt(First + 300_000);
        Assert.Equal(new EpochId("pc", First, Second), records[^1].Id);

        // A restart inside that claimed second starts after it; its packet (0.8 s in) is counted in its first record.
        var run2 = Live(records, recordsFrom: records[^1].Id.EndMicros);
        run2.AdvanceTime(First + 800_000);
        Packet(run2, First + 850_000, 200);
        run2.AdvanceTime(First + 9_500_000);
        run2.FinishAt(First + 9_600_000); // 0.4 s before the boundary: the record ends at 9.6 s

        // A restart with less than the minimum left of the epoch: its traffic goes into a 1 s record at the boundary.
        var run3 = Live(records, recordsFrom: records[^1].Id.EndMicros);
        run3.AdvanceTime(First + 9_700_000);
        Packet(run3, First + 9_800_000, 300);
        for (long t = First + 10 * Second; t <= First + 20 * Second; t += Second)
        {
            run3.AdvanceTime(t);
            if (t == First + 15 * Second) Packet(run3, t, 400);
        }

        Assert.Equal([new EpochId("pc", First, Second), new EpochId("pc", First + Second, 8_600_000),
                new EpochId("pc", First + Epoch, Second), new EpochId("pc", First + 11 * Second, 9 * Second)],
            records.Select(r => r.Id));
        Assert.Equal([100UL, 200UL, 300UL, 400UL], records.Select(r => r.Totals.All.Bytes));
        Assert.All(records, r => Assert.True(r.Id.LengthMicros >= Second, $"{r.Id} is shorter than 1 s"));
        Assert.Equal(1, run3.RecordsMoved);
        var set = new EpochRecordSet();
        foreach (var r in records) set.Add(r); // throws on an overlap
    }

    [Fact]
    public void AClockPutBackUnderRecordsSealedWhileItWasAheadSealsEveryEpochAfterThemUntilItCatchesUp()
    {
        var records = new List<EpochRecord>();
        long ahead = First + 3600 * Second;
        // Run 1 with the clock an hour ahead: two whole epochs and 5 s of a third, 100 + 200 + 300 bytes.
        var run1 = Live(records, recordsFrom: null);
        run1.AdvanceTime(ahead);
        Packet(run1, ahead + Second, 100);
        run1.AdvanceTime(ahead + Epoch);
        Packet(run1, ahead + Epoch + Second, 200);
        run1.AdvanceTime(ahead + 2 * Epoch);
        Packet(run1, ahead + 2 * Epoch + Second, 300);
        run1.FinishAt(ahead + 2 * Epoch + 5 * Second);
        long aheadEnd = ahead + 2 * Epoch + 5 * Second;
        Assert.Equal(aheadEnd, records[^1].Id.EndMicros);

        // Run 2 with the clock right: a packet of 1,000 bytes every epoch, a tick every second, until well after the
        // clock has caught up with the records.
        var run2 = Live(records, recordsFrom: aheadEnd);
        long sent = 0;
        long end = First + 4200 * Second;
        for (long t = First; t <= end; t += Second)
        {
            run2.AdvanceTime(t);
            if ((t - First) % Epoch == 3 * Second && t < end - Epoch)
            {
                Packet(run2, t, 1000);
                sent += 1000;
            }
        }
        run2.FinishAt(end);

        var second = records.Skip(3).ToList();
        // Sealing never waited for the clock: one record per epoch of real time.
        Assert.Equal((end - First) / Epoch + 1, second.Count);
        // Nothing lost, nothing counted twice: every byte is in exactly one record, and no two records overlap.
        Assert.Equal((ulong)(600 + sent), (ulong)records.Sum(r => (long)r.Totals.All.Bytes));
        var set = new EpochRecordSet();
        foreach (var r in records) Assert.Equal(EpochRecordAddResult.Added, set.Add(r));
        // The moved records: 1 s each, from the end of the old ones, none across an epoch boundary, one per real epoch,
        // until the clock met them (about 3,625 s · 10/9 of real time); then whole epochs again.
        var moved = second.TakeWhile(r => r.Id.LengthMicros == Second).ToList();
        Assert.Equal(run2.RecordsMoved, moved.Count);
        Assert.Equal(aheadEnd, moved[0].Id.StartMicros);
        Assert.All(moved, r => Assert.Equal(EpochRollup.AlignDown(r.Id.StartMicros, Epoch), EpochRollup.AlignDown(r.Id.EndMicros - 1, Epoch)));
        Assert.InRange(moved.Count, 3625 * 10 / 9 / 10 - 2, 3625 * 10 / 9 / 10 + 2);
        var after = second.Skip(moved.Count).ToList();
        Assert.Equal(after[0].Id.EndMicros, EpochRollup.AlignDown(after[0].Id.StartMicros, Epoch) + Epoch); // the rest of the epoch the clock met them in
        Assert.All(after.Skip(1).SkipLast(1), r => Assert.Equal(Epoch, r.Id.LengthMicros));
        Assert.Equal(EpochRollup.AlignDown(end, Epoch), after[^1].Id.StartMicros); // back on the clock's own epochs
    }

    [Fact]
    public void AWallClockSteppedBackWhileRunningSealsTheOpenEpochAtOnceAndGoesOnSealing()
    {
        var records = new List<EpochRecord>();
        long ahead = First + 3600 * Second;
        var live = Live(records, recordsFrom: null);
        live.AdvanceTime(ahead);
        Packet(live, ahead + 2 * Second, 100);
        live.AdvanceTime(ahead + 4 * Second);
        // NTP steps the clock back an hour: the open epoch (ending at ahead + 10 s) is sealed now, not an hour later.
        live.AdvanceTime(First + 4 * Second);
        Assert.Equal(1, live.ClockStepsBack);
        Assert.Equal((new EpochId("pc", ahead, Epoch), 100UL), (records[^1].Id, records[^1].Totals.All.Bytes));
        Packet(live, First + 5 * Second, 200);
        live.AdvanceTime(First + 10 * Second);
        Assert.Equal((new EpochId("pc", ahead + Epoch, Second), 200UL), (records[^1].Id, records[^1].Totals.All.Bytes));
        Packet(live, First + 12 * Second, 300);
        live.AdvanceTime(First + 20 * Second);
        Assert.Equal((new EpochId("pc", ahead + Epoch + Second, Second), 300UL), (records[^1].Id, records[^1].Totals.All.Bytes));
        Assert.Equal(2, live.RecordsMoved);
        // A step back within an epoch is ordinary capture jitter: nothing is sealed early.
        live.AdvanceTime(First + 25 * Second);
        live.AdvanceTime(First + 21 * Second);
        Assert.Equal(1, live.ClockStepsBack);
        Assert.Equal(3, records.Count);
    }

    /// <summary>
    /// Flows left to an owner without a record are counted once from the observers' "left to peer" sections, one
    /// observer per flow and epoch. An observer that restarted inside the epoch lists the flow in both of its records
    /// (different traffic); another observer's listing of it in that epoch is the duplicate, whichever sorts first.
    /// </summary>
    [Theory]
    [InlineData("a", "b")]
    [InlineData("b", "a")]
    public void AFlowLeftToAMissingOwnerIsCountedOnceWhenAnObserverRestartedInsideTheEpoch(string whole, string restarted)
    {
        var records = new List<EpochRecord>();
        var observer = Observer(whole, records, recordsFrom: null);
        observer.AdvanceTime(First);
        Packet(observer, First + 1 * Second, 100, "10.3.0.1");
        Packet(observer, First + 6 * Second, 50, "10.3.0.1");
        observer.AdvanceTime(First + Epoch);

        var run1 = Observer(restarted, records, recordsFrom: null);
        run1.AdvanceTime(First);
        Packet(run1, First + 1 * Second, 100, "10.3.0.1");
        run1.FinishAt(First + 4 * Second);
        var run2 = Observer(restarted, records, recordsFrom: First + 4 * Second);
        run2.AdvanceTime(First + 5 * Second);
        Packet(run2, First + 6 * Second, 50, "10.3.0.1");
        run2.AdvanceTime(First + Epoch);
        Assert.Equal(3, records.Count(r => r.Id.StartMicros < First + Epoch));
        Assert.All(records, r => Assert.Equal("c", Assert.Single(r.Contents.Extensions.Left).Peer));

        var view = GlobalView.Build(records, [new ExpectedOrigin("a", OriginLiveness.Alive), new ExpectedOrigin("b", OriginLiveness.Alive), new ExpectedOrigin("c", OriginLiveness.Alive)],
            First + Epoch, new ViewWindow(First, First + Epoch), GlobalViewOptions.Default with { EpochLength = TimeSpan.FromMicroseconds(Epoch), SettleDelay = TimeSpan.Zero });
        Assert.Equal((150.0, 2.0), (view.Totals().Bytes.Value, view.Totals().Packets.Value));
        Assert.Equal(150UL, view.Coverage.LeftToPeer.Bytes);
        Assert.Equal(string.CompareOrdinal(whole, restarted) < 0 ? 2 : 1, view.Coverage.LeftToPeer.DuplicatesIgnored);
    }

    /// <summary>An observer that captures everything and leaves flows of 10.3.0.1 to its owner "c" (a mirror port).</summary>
    private static EpochSummarizer Observer(string name, List<EpochRecord> records, long? recordsFrom) =>
        new(new EpochSummarizerOptions
        {
            Origin = name, Key = Key, EpochLength = TimeSpan.FromMicroseconds(Epoch), SealEmptyEpochs = true, FollowsWallClock = true, RecordsFromMicros = recordsFrom,
            Ownership = new FlowOwnership(MonitoredAddresses.Build(name, [], [new AddressAnnouncement("c", First - Epoch, [IpAddress128.Parse("10.3.0.1")])])),
        }, records.Add);

    private static EpochSummarizer Live(List<EpochRecord> records, long? recordsFrom) =>
        new(new EpochSummarizerOptions
        {
            Origin = "pc", Key = Key, EpochLength = TimeSpan.FromMicroseconds(Epoch), SealEmptyEpochs = true,
            FollowsWallClock = true, RecordsFromMicros = recordsFrom,
        }, records.Add);

    private static void Packet(EpochSummarizer summarizer, long micros, int ipLength, string source = "10.1.0.1")
    {
        // One flow per second of the clock (its source port): a flow's traffic is in the records of those seconds only.
        var packet = new SyntheticPacket(micros, source, source == "10.1.0.1" ? 40000 + (int)(micros / Second % 1000) : 40000, "10.2.0.1", 53, IpProtocol.Udp, ipLength, 0);
        summarizer.ObservePacket(LinkType.Ethernet, packet.Micros, packet.Frame());
    }

    private static GlobalView View(IReadOnlyList<EpochRecord> records, long from, long to) =>
        GlobalView.Build(records, [new ExpectedOrigin("pc", OriginLiveness.Alive)], to, new ViewWindow(from, to),
            GlobalViewOptions.Default with { EpochLength = TimeSpan.FromMicroseconds(Epoch), SettleDelay = TimeSpan.Zero });
}
