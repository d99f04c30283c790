using Flowmesh.Core.Epochs;
using Flowmesh.Core.Tests.Epochs;
using Flowmesh.Core.Views;
using static Flowmesh.Core.Tests.Views.ViewTraffic;

namespace Flowmesh.Core.Tests.Views;

/// <summary>Coverage: missing, late, gapped, dead, left and unknown origins; duplicates, conflicts, roll-ups, straddling records.</summary>
public sealed class GlobalViewCoverageTests
{
    private const int Seconds = 60;
    private static readonly ViewWindow Window = ViewWindow.Between(T0, T0 + Seconds * Second);
    private static readonly long Settled = T0 + (Seconds + 30) * Second;

    private static (Dictionary<string, List<EpochRecord>> Records, Dictionary<string, List<SyntheticPacket>> Packets) Traffic(int origins, int seed = 11)
    {
        var random = new Random(seed);
        var records = new Dictionary<string, List<EpochRecord>>();
        var packets = new Dictionary<string, List<SyntheticPacket>>();
        for (int o = 0; o < origins; o++)
        {
            packets[Origin(o)] = Normal(random, o, T0, Seconds);
            records[Origin(o)] = Summarize(o, packets[Origin(o)]);
            Assert.Equal(Seconds / 10, records[Origin(o)].Count);
        }
        return (records, packets);
    }

    private static IEnumerable<ExpectedOrigin> Alive(int count) => Enumerable.Range(0, count).Select(o => new ExpectedOrigin(Origin(o), OriginLiveness.Alive));

    [Fact]
    public void AllOriginsCompleteGiveExactNumbers()
    {
        var (records, _) = Traffic(3);
        var view = GlobalView.Build(records.Values.SelectMany(r => r), Alive(3), Settled, Window);
        Assert.True(view.Coverage.IsComplete);
        Assert.Equal(Caveats.None, view.Coverage.Caveats);
        Assert.True(view.Totals().Bytes.IsExact);
        Assert.Equal(TimeSpan.FromSeconds(30), view.Coverage.NewestDataAge);
        Assert.All(view.Coverage.Origins, o => Assert.Equal((CoverageStatus.Complete, 6, 6), (o.Status, o.SettledEpochs, o.CoveredEpochs)));
    }

    [Fact]
    public void AMissingOriginMakesEveryNumberIncomplete()
    {
        var (records, packets) = Traffic(3);
        var view = GlobalView.Build(records.Values.SelectMany(r => r), Alive(4), Settled, Window);

        Assert.False(view.Coverage.IsComplete);
        Assert.Equal("3 of 4 origins, newest data 30 s old, 1 missing", view.Coverage.Summary);
        var missing = Assert.Single(view.Coverage.Origins, o => o.Origin == Origin(3));
        Assert.Equal((CoverageStatus.Missing, 0, 6, (long?)null), (missing.Status, missing.Records, missing.MissingEpochs, missing.NewestEndMicros));
        Assert.Equal([Origin(3)], view.Coverage.IncompleteOrigins);

        // The numbers are still right for what is covered, but none is presented as something to stand behind.
        var totals = view.Totals();
        Assert.Equal((double)packets.Values.Sum(p => p.Sum(x => (long)x.IpLength)), totals.Bytes.Value);
        Assert.False(totals.Bytes.IsExact);
        Assert.False(totals.Bytes.CanStandBehind);
        Assert.True(totals.Bytes.Caveats.HasFlag(Caveats.IncompleteCoverage));
        Assert.All(view.Top(TopKind.Talkers).Items, i => Assert.False(i.Weight.CanStandBehind));
        Assert.False(view.Distinct(DistinctKind.Sources).Count.CanStandBehind);
        Assert.All(view.Series().Points, p => Assert.False(p.Complete));
        // The missing origin is listed in the contributions with zero traffic, flagged.
        var contribution = Assert.Single(view.Contributions().Origins, c => c.Origin == Origin(3));
        Assert.Equal(0, contribution.Bytes.Value);
        Assert.True(contribution.Bytes.Caveats.HasFlag(Caveats.IncompleteCoverage));
        // A complete origin's own contribution is exact: per-origin numbers carry that origin's coverage.
        Assert.True(view.Contributions().Origins.Single(c => c.Origin == Origin(0)).Bytes.IsExact);
    }

    [Fact]
    public void AnOriginWhoseNewestRecordsHaveNotArrivedIsLate()
    {
        var (records, _) = Traffic(3);
        var late = records[Origin(1)].Take(4).ToList(); // the last two 10 s epochs are missing
        var view = GlobalView.Build(records[Origin(0)].Concat(late).Concat(records[Origin(2)]), Alive(3), Settled, Window);

        var o = view.Coverage.Origins.Single(c => c.Origin == Origin(1));
        Assert.Equal(CoverageStatus.Late, o.Status);
        Assert.Equal((4, 6, 2), (o.CoveredEpochs, o.SettledEpochs, o.MissingEpochs));
        Assert.Equal(TimeSpan.FromSeconds(50), o.NewestDataAge);
        Assert.Equal("3 of 3 origins, newest data 30 s old, 1 late", view.Coverage.Summary);
        // Only the buckets the late origin misses are incomplete.
        Assert.Equal([true, true, true, true, false, false], view.Series().Points.Select(p => p.Complete));
    }

    [Fact]
    public void AGapInTheMiddleIsReportedAndRecentEpochsStillInFlightAreNot()
    {
        var (records, _) = Traffic(2);
        var gapped = records[Origin(1)].Where((_, i) => i != 2).ToList();
        var view = GlobalView.Build(records[Origin(0)].Concat(gapped), Alive(2), Settled, Window);
        Assert.Equal(CoverageStatus.Gaps, view.Coverage.Origins.Single(c => c.Origin == Origin(1)).Status);

        // 5 s after the window's last epoch ended, its records may still be on their way (settle delay 20 s): not missing yet.
        var inFlight = records[Origin(1)].Take(5).ToList();
        long now = T0 + (Seconds + 5) * Second;
        var fresh = GlobalView.Build(records[Origin(0)].Concat(inFlight), Alive(2), now, Window);
        Assert.True(fresh.Coverage.IsComplete, fresh.Coverage.Summary);
        Assert.Equal(4, fresh.Coverage.Origins[1].SettledEpochs); // epoch [40 s, 50 s) settles at 70 s
        Assert.False(fresh.Series().Points[^1].Settled);
        // 25 s after, it is late.
        var later = GlobalView.Build(records[Origin(0)].Concat(inFlight), Alive(2), now + 20 * Second, Window);
        Assert.Equal(CoverageStatus.Late, later.Coverage.Origins[1].Status);
    }

    [Fact]
    public void DeadLeftAndUnknownOriginsAreReportedAsSuch()
    {
        var (records, _) = Traffic(4);
        var expected = new[]
        {
            new ExpectedOrigin(Origin(0), OriginLiveness.Alive),
            new ExpectedOrigin(Origin(1), OriginLiveness.Dead),    // died after 30 s: its later traffic is unseen
            new ExpectedOrigin(Origin(2), OriginLiveness.Left),    // left: its records count, nothing more is expected
            new ExpectedOrigin("node-gone", OriginLiveness.Left),  // left long ago: not listed at all
            new ExpectedOrigin(Origin(3), OriginLiveness.Suspect),
        };
        var input = records[Origin(0)].Concat(records[Origin(1)].Take(3)).Concat(records[Origin(2)].Take(2))
            .Concat(records[Origin(3)]).Concat(Summarize("node-stranger", Normal(new Random(5), 7, T0, 20)));
        var view = GlobalView.Build(input, expected, Settled, Window);

        var byName = view.Coverage.Origins.ToDictionary(o => o.Origin);
        Assert.DoesNotContain("node-gone", byName.Keys);
        Assert.Equal((OriginLiveness?)OriginLiveness.Dead, byName[Origin(1)].State);
        Assert.Equal(CoverageStatus.Late, byName[Origin(1)].Status);
        Assert.Equal(CoverageStatus.Unexpected, byName[Origin(2)].Status);
        Assert.Equal(CoverageStatus.Unexpected, byName["node-stranger"].Status);
        Assert.Null(byName["node-stranger"].State);
        Assert.Equal(CoverageStatus.Complete, byName[Origin(3)].Status);
        Assert.Equal((3, 3), (view.Coverage.Expected, view.Coverage.ExpectedContributing));
        Assert.Equal(5, view.Coverage.Contributing);
        Assert.Equal([Origin(1)], view.Coverage.IncompleteOrigins);
        Assert.Equal("3 of 3 origins, newest data 30 s old, 1 late, 2 not in membership", view.Coverage.Summary);

        // Without the dead origin the window is complete: a left origin's short history is no gap.
        var healthy = GlobalView.Build(input.Where(r => r.Id.Origin != Origin(1)), expected.Where(e => e.Origin != Origin(1)), Settled, Window);
        Assert.True(healthy.Coverage.IsComplete, healthy.Coverage.Summary);
    }

    [Fact]
    public void DuplicatesInAnyOrderCountOnce()
    {
        var (records, _) = Traffic(3);
        var once = records.Values.SelectMany(r => r).ToList();
        var random = new Random(3);
        // Three copies of every record, one of them re-decoded from its bytes, shuffled.
        var many = once.Concat(once).Concat(once.Select(r => EpochRecord.Decode(r.Encode(), EpochTestTraffic.Key))).OrderBy(_ => random.Next()).ToList();

        var a = GlobalView.Build(once, Alive(3), Settled, Window);
        var b = GlobalView.Build(many, Alive(3), Settled, Window);
        Assert.Equal(2 * once.Count, b.Coverage.DuplicatesIgnored);
        Assert.Equal(a.Totals().Bytes, b.Totals().Bytes);
        Assert.Equal(Render(a), Render(b));

        // A naive sum of the copies would triple the traffic: the bound checks above would catch that.
        Assert.Equal(3 * a.Totals().Bytes.Value, many.Sum(r => (double)r.Totals.All.Bytes));
    }

    private static string Render(GlobalView v) => string.Join("\n",
        v.Top(TopKind.Talkers, TrafficMeasure.Bytes, 100).Items.Select(i => $"{i.Label} {i.Weight}")
            .Concat(v.Top(TopKind.Ports, TrafficMeasure.Packets, 100).Items.Select(i => $"{i.Label} {i.Weight}"))
            .Concat(v.Matrix(16, 64, 100).Cells.Select(c => $"{c.Source} {c.Destination} {c.Bytes}"))
            .Append(v.Distinct(DistinctKind.Flows).Count.ToString()));

    [Fact]
    public void ConflictingRecordsAreResolvedTheSameWayWhateverTheOrder()
    {
        var (records, _) = Traffic(2);
        // A second, different record under node-1's first epoch id (e.g. a buggy or restarted agent).
        var other = Summarize(Origin(1), Normal(new Random(99), 1, T0, 10))[0];
        Assert.Equal(records[Origin(1)][0].Id, other.Id);
        Assert.NotEqual(records[Origin(1)][0].ContentHash, other.ContentHash);

        var input = records.Values.SelectMany(r => r).Append(other).ToList();
        var forward = GlobalView.Build(input, Alive(2), Settled, Window);
        var backward = GlobalView.Build(Enumerable.Reverse(input), Alive(2), Settled, Window);
        Assert.Equal(forward.Totals().Bytes.Value, backward.Totals().Bytes.Value);
        Assert.Equal(Render(forward), Render(backward));
        Assert.Contains("different records claim", Assert.Single(forward.Coverage.Conflicts));
        Assert.True(forward.Totals().Bytes.Caveats.HasFlag(Caveats.ConflictingRecords));
        Assert.False(forward.Totals().Bytes.CanStandBehind);
        Assert.Equal(12, forward.Coverage.Records);
    }

    [Fact]
    public void RollUpsReplaceTheirPartsAndStraddlingRecordsAreLeftOut()
    {
        var (records, _) = Traffic(2);
        var minute = EpochRollup.RollUp(records[Origin(0)], 60 * Second);
        var input = records.Values.SelectMany(r => r).Concat(minute).ToList();
        var plain = GlobalView.Build(records.Values.SelectMany(r => r), Alive(2), Settled, Window);

        // The whole minute lies inside [T0 - 60 s, T0 + 60 s) only if it is aligned; T0 is not a multiple of 60 s, so
        // the roll-up straddles the window and the 10 s records are used. A window that holds the roll-up uses it.
        long minuteStart = minute[0].Id.StartMicros;
        var wide = ViewWindow.Between(minuteStart, minuteStart + 120 * Second);
        var withRollUp = GlobalView.Build(input, Alive(2), Settled + 120 * Second, wide);
        var withoutRollUp = GlobalView.Build(records.Values.SelectMany(r => r), Alive(2), Settled + 120 * Second, wide);
        Assert.True(withRollUp.Coverage.OverlapsIgnored > 0);
        Assert.Equal(withoutRollUp.Totals().Bytes.Value, withRollUp.Totals().Bytes.Value);
        Assert.Equal(withoutRollUp.Distinct(DistinctKind.Flows).Count, withRollUp.Distinct(DistinctKind.Flows).Count);
        Assert.Contains(withRollUp.Records, r => r.Id.LengthMicros == 60 * Second);

        var straddled = GlobalView.Build(input, Alive(2), Settled, Window);
        Assert.Equal(plain.Totals().Bytes.Value, straddled.Totals().Bytes.Value);

        // A window starting mid-epoch leaves out the epoch it cuts.
        var cut = GlobalView.Build(records.Values.SelectMany(r => r), Alive(2), Settled, ViewWindow.Between(T0 + 5 * Second, T0 + Seconds * Second));
        Assert.Equal(2, cut.Coverage.StraddlingIgnored);
        Assert.Equal(plain.Totals().Bytes.Value - records.Values.Sum(r => (double)r[0].Totals.All.Bytes), cut.Totals().Bytes.Value);
    }

    [Fact]
    public void NoRecordsGiveEmptyAnswersAndWindowsParse()
    {
        var view = GlobalView.Build([], Alive(2), Settled, Window);
        Assert.Equal("0 of 2 origins, no data, 2 missing", view.Coverage.Summary);
        Assert.Equal(0, view.Totals().Bytes.Value);
        Assert.Empty(view.Top(TopKind.Ports).Items);
        Assert.Empty(view.Matrix().Cells);
        Assert.Empty(view.Spread(SpreadKind.DestinationsPerSource).Items);
        Assert.Equal(6, view.Series().Points.Count);

        Assert.Equal(TimeSpan.FromMinutes(5), ViewWindow.ParseLength("5m"));
        Assert.Equal(TimeSpan.FromHours(24), ViewWindow.ParseLength("24h"));
        foreach (var bad in new[] { "", "5", "m", "-5m", "5x", "0m", "1.5h", "99999999999d" })
            Assert.Throws<FormatException>(() => ViewWindow.ParseLength(bad));
        var last = ViewWindow.Last(TimeSpan.FromMinutes(5), T0 + 3 * Second, TimeSpan.FromSeconds(10));
        Assert.Equal((T0 + 10 * Second - 300 * Second, T0 + 10 * Second), (last.FromMicros, last.ToMicros));
        Assert.Throws<ArgumentException>(() => ViewWindow.Between(T0, T0));
        Assert.Throws<ArgumentOutOfRangeException>(() => ViewWindow.Last(TimeSpan.MaxValue, long.MinValue + 10_000_000_000, TimeSpan.FromSeconds(10)));
        Assert.Throws<ArgumentOutOfRangeException>(() => ViewWindow.Last(TimeSpan.Zero, T0, TimeSpan.FromSeconds(10)));
        Assert.Throws<ArgumentException>(() => GlobalView.Build([], [], T0, new ViewWindow(T0, T0 - 1)));
    }

    [Fact]
    public void KernelDropsAreAVisibleCaveat()
    {
        var packets = Normal(new Random(4), 0, T0, 20);
        packets.Sort((x, y) => x.Micros.CompareTo(y.Micros));
        var records = new List<EpochRecord>();
        var summarizer = new EpochSummarizer(new EpochSummarizerOptions { Origin = Origin(0), Key = EpochTestTraffic.Key }, records.Add);
        foreach (var p in packets)
        {
            summarizer.ObservePacket(Flowmesh.Core.Packets.LinkType.Ethernet, p.Micros, p.Frame());
            if (p == packets[10]) summarizer.AddKernelDrops(7);
        }
        summarizer.Finish();
        var view = GlobalView.Build(records, Alive(1), T0 + 60 * Second, ViewWindow.Between(T0, T0 + 20 * Second));
        Assert.Equal(7UL, view.Coverage.Health.KernelDrops);
        Assert.True(view.Totals().Bytes.Caveats.HasFlag(Caveats.CaptureLoss));
        Assert.False(view.Totals().Bytes.IsExact);
    }
}
