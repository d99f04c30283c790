using Flowmesh.Core.Epochs;
using Flowmesh.Core.Flows;
using Flowmesh.Core.Packets;
using Flowmesh.Core.Tests.Epochs;
using Flowmesh.Core.Views;
using static Flowmesh.Core.Tests.Views.ViewTraffic;

namespace Flowmesh.Core.Tests.Views;

/// <summary>
/// The view over time roll-ups (1 min and 10 min records each origin merged from its own 10 s ones) against the exact
/// computation from the generated packets and against the view over the raw records: exactly once per origin, in any
/// arrival order, with whatever subset of roll-ups and parts is held.
/// </summary>
[Collection(nameof(RunsAloneCollection))]
public sealed class GlobalViewRollupTests
{
    private const int Origins = 3;
    private const int Seconds = 1320; // 22 min: two whole 10 min intervals, minutes and 10 s edges around them
    private const long Minute = 60 * Second;
    private const long TenMinutes = 10 * Minute;

    private sealed record Data(List<EpochRecord> Raw, List<EpochRecord> Minutes, List<EpochRecord> TenMinutes, List<SyntheticPacket> Packets)
    {
        public IEnumerable<EpochRecord> All => Raw.Concat(Minutes).Concat(TenMinutes);
    }

    private static readonly Dictionary<int, Data> Cache = [];

    /// <summary>Roll-ups made the way the agent makes them: per origin, 10 s into 1 min, then 1 min into 10 min.</summary>
    private static Data Build(int seed)
    {
        lock (Cache)
        {
            if (Cache.TryGetValue(seed, out var cached)) return cached;
            var random = new Random(seed);
            var raw = new List<EpochRecord>();
            var minutes = new List<EpochRecord>();
            var tens = new List<EpochRecord>();
            var packets = new List<SyntheticPacket>();
            for (int o = 0; o < Origins; o++)
            {
                var own = Normal(random, o, T0, Seconds, manySmallFlows: true);
                packets.AddRange(own);
                var records = Summarize(o, own);
                raw.AddRange(records);
                var m = EpochRollup.RollUp(records, Minute);
                minutes.AddRange(m);
                tens.AddRange(EpochRollup.RollUp(m, TenMinutes));
            }
            return Cache[seed] = new Data(raw, minutes, tens, packets);
        }
    }

    private static IEnumerable<ExpectedOrigin> Alive => Enumerable.Range(0, Origins).Select(o => new ExpectedOrigin(Origin(o), OriginLiveness.Alive));

    private static readonly long Now = T0 + (Seconds + 60) * Second;

    /// <summary>Not aligned to a minute at either end, so both edges need 10 s records (T0 itself is 20 s past a minute).</summary>
    private static readonly ViewWindow Window = ViewWindow.Between(T0 + 30 * Second, T0 + (Seconds - 30) * Second);

    /// <summary>Without the preference for fine series points, so these short windows read the coarsest records held.</summary>
    private static readonly GlobalViewOptions Coarsest = GlobalViewOptions.Default with { MinSeriesPoints = 1 };

    private static GlobalView View(IEnumerable<EpochRecord> records, ViewWindow? window = null) => GlobalView.Build(records, Alive, Now, window ?? Window, Coarsest);

    private static List<SyntheticPacket> Inside(Data data, ViewWindow window) =>
        [.. data.Packets.Where(p => p.Micros >= window.FromMicros && p.Micros < window.ToMicros)];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void TheViewOverRollUpsEqualsTheViewOverRawRecordsAndTheTruth(int seed)
    {
        var data = Build(seed);
        var truth = new ExactTruth(Inside(data, Window));
        var raw = View(data.Raw);
        var rolled = View(data.All);

        // Coarsest first: 10 min records in the middle, minutes and 10 s records only at the edges.
        Assert.Equal([10 * Second, Minute, TenMinutes], rolled.Records.Select(r => r.Id.LengthMicros).Distinct().Order());
        Assert.True(rolled.Records.Count * 5 < raw.Records.Count, $"{rolled.Records.Count} records with roll-ups, {raw.Records.Count} without");
        Assert.Equal(Origins, rolled.Records.Count(r => r.Id.LengthMicros == TenMinutes)); // one 10 min interval lies inside the window
        Assert.True(rolled.Coverage.IsComplete, rolled.Coverage.Summary);
        Assert.Equal(raw.Coverage.Origins.Select(o => (o.SettledEpochs, o.CoveredEpochs)), rolled.Coverage.Origins.Select(o => (o.SettledEpochs, o.CoveredEpochs)));

        // Totals and per-origin contributions: exact.
        Assert.Equal(truth.Bytes, (ulong)rolled.Totals().Bytes.Value);
        Assert.Equal(truth.PacketCount, (ulong)rolled.Totals().Packets.Value);
        Assert.True(rolled.Totals().Bytes.IsExact);
        Assert.Equal(raw.Contributions().Origins.Select(c => (c.Origin, c.Bytes.Value, c.Packets.Value, c.Flows.Value)),
            rolled.Contributions().Origins.Select(c => (c.Origin, c.Bytes.Value, c.Packets.Value, c.Flows.Value)));
        Assert.Equal(raw.Series(TimeSpan.FromMinutes(10)).Points.Select(p => p.Bytes.Value), rolled.Series(TimeSpan.FromMinutes(10)).Points.Select(p => p.Bytes.Value));

        // Distinct counts: the merge is an exact union, so bit-identical to the raw view's, and the truth within bounds.
        // (Ports are left out of the truth check: cut at the window's start, a flow's first packet may be a reply, which
        // would make the exact computation take the client's port for the service's.)
        foreach (var kind in Enum.GetValues<DistinctKind>())
            Assert.Equal(raw.Distinct(kind).Count, rolled.Distinct(kind).Count);
        foreach (var (kind, exact) in new[] { (DistinctKind.Sources, truth.DistinctSources), (DistinctKind.Destinations, truth.DistinctDestinations),
                     (DistinctKind.Flows, truth.DistinctFlows) })
            Assert.InRange((double)exact, rolled.Distinct(kind).Count.Lower, rolled.Distinct(kind).Count.Upper);

        // Matrices: every cell holds the truth within its bounds, a cell the raw view knows exactly is exact here too,
        // what no cell lists is at most the unattributed remainder, and nothing is attributed twice.
        foreach (var (v4, v6) in new[] { (16, 48), (24, 64) })
        {
            var exact = truth.Matrix(v4, v6);
            var fromRaw = raw.Matrix(v4, v6, int.MaxValue).Cells.ToDictionary(c => (c.Source, c.Destination));
            var matrix = rolled.Matrix(v4, v6, int.MaxValue);
            var listed = new HashSet<(AddressPrefix, AddressPrefix)>();
            foreach (var cell in matrix.Cells)
            {
                listed.Add((cell.Source, cell.Destination));
                var t = exact.GetValueOrDefault((cell.Source, cell.Destination));
                Assert.InRange((double)t.Bytes, cell.Bytes.Lower, cell.Bytes.Upper);
                Assert.InRange((double)t.Packets, cell.Packets.Lower, cell.Packets.Upper);
                if (fromRaw.TryGetValue((cell.Source, cell.Destination), out var r) && r.Bytes.Lower == r.Bytes.Upper && cell.Bytes.Lower == cell.Bytes.Upper)
                    Assert.Equal((double)t.Bytes, cell.Bytes.Value);
            }
            Assert.True(matrix.Cells.Sum(c => c.Bytes.Lower) + matrix.UnattributedBytes.Value <= truth.Bytes + 0.5);
            foreach (var (key, t) in exact)
                if (!listed.Contains(key)) Assert.True(t.Bytes <= matrix.UnattributedBytes.Value, $"/{v4}: unlisted {key} has {t.Bytes} B");
        }

        // Top talkers and pairs: bounds still hold (wider than a direct summary's, never wrong).
        foreach (var measure in new[] { TrafficMeasure.Bytes, TrafficMeasure.Packets })
        {
            CheckTop(rolled.Top(TopKind.Talkers, measure, int.MaxValue), truth.Talkers.ToDictionary(t => t.Key.ToString(), t => ExactTruth.Pick(t.Value, measure)), k => k.Source.ToString());
            CheckTop(rolled.Top(TopKind.Pairs, measure, int.MaxValue), truth.Pairs.ToDictionary(t => $"{t.Key.Item1}>{t.Key.Item2}", t => ExactTruth.Pick(t.Value, measure)),
                k => $"{k.Source}>{k.Destination}");
        }
    }

    private static void CheckTop(TopAnswer answer, Dictionary<string, ulong> truth, Func<TrafficKey, string> name)
    {
        Assert.NotEmpty(answer.Items);
        Assert.Equal((double)truth.Values.Aggregate(0UL, (a, b) => a + b), answer.Total.Value);
        var listed = new HashSet<string>();
        foreach (var item in answer.Items)
        {
            string key = name(item.Key);
            Assert.True(listed.Add(key));
            Assert.InRange(truth.GetValueOrDefault(key), item.Weight.Lower, item.Weight.Upper);
        }
        foreach (var (key, exact) in truth)
            if (!listed.Contains(key)) Assert.True(exact <= answer.UnlistedBound, $"unlisted {key} weighs {exact} > {answer.UnlistedBound}");
    }

    [Fact]
    public void NoTrafficIsCountedTwiceWhateverIsHeldAndWhateverTheArrivalOrder()
    {
        var data = Build(3);
        var truth = new ExactTruth(Inside(data, Window));
        var random = new Random(17);
        for (int round = 0; round < 8; round++)
        {
            // Every record arrives (some twice), in a random order: roll-ups before or after their parts.
            var input = data.All.Concat(data.All.Where(_ => random.Next(4) == 0)).OrderBy(_ => random.Next()).ToList();
            var view = View(input);
            Assert.Equal(truth.Bytes, (ulong)view.Totals().Bytes.Value);
            Assert.Equal(truth.PacketCount, (ulong)view.Totals().Packets.Value);
            Assert.True(view.Coverage.IsComplete);
        }
    }

    [Fact]
    public void ARollUpWithoutItsPartsOrPartsWithoutTheirRollUpStillCountEverythingOnce()
    {
        var data = Build(4);
        var truth = new ExactTruth(Inside(data, Window));
        var ten = data.TenMinutes.First(r => r.Id.Origin == Origin(1) && Window.Contains(r.Id.StartMicros, r.Id.EndMicros));
        bool InTen(EpochRecord r) => r.Id.Origin == ten.Id.Origin && r.Id.StartMicros >= ten.Id.StartMicros && r.Id.EndMicros <= ten.Id.EndMicros;

        // The roll-up alone (its parts pruned, or never fetched).
        var rollUpOnly = View(data.All.Where(r => r == ten || !InTen(r)));
        Assert.Equal(truth.Bytes, (ulong)rollUpOnly.Totals().Bytes.Value);
        Assert.True(rollUpOnly.Coverage.IsComplete);

        // The parts alone (the roll-up not fetched yet): the minutes, or only the 10 s records.
        var minutesOnly = View(data.All.Where(r => r != ten));
        Assert.Equal(truth.Bytes, (ulong)minutesOnly.Totals().Bytes.Value);
        Assert.Contains(minutesOnly.Records, r => InTen(r) && r.Id.LengthMicros == Minute);
        var rawOnly = View(data.All.Where(r => !InTen(r) || r.Id.LengthMicros == 10 * Second));
        Assert.Equal(truth.Bytes, (ulong)rawOnly.Totals().Bytes.Value);
        Assert.True(rawOnly.Coverage.IsComplete);

        // Some of both missing: what is held counts, coverage names the gap.
        var minute = data.Minutes.First(r => InTen(r));
        var lost = data.Raw.Where(r => r.Id.Origin == ten.Id.Origin && r.Id.StartMicros >= minute.Id.StartMicros && r.Id.EndMicros <= minute.Id.EndMicros).Take(3).ToList();
        var partial = View(data.All.Where(r => r != ten && r != minute && !lost.Contains(r)));
        ulong lostBytes = (ulong)lost.Sum(r => (long)r.Totals.All.Bytes);
        Assert.True(lostBytes > 0);
        Assert.Equal(truth.Bytes - lostBytes, (ulong)partial.Totals().Bytes.Value);
        Assert.False(partial.Coverage.IsComplete);
        var origin = partial.Coverage.Origins.Single(o => o.Origin == ten.Id.Origin);
        Assert.Equal(CoverageStatus.Gaps, origin.Status);
        Assert.Equal(3, origin.MissingEpochs);
    }

    [Fact]
    public void AWindowEdgeInsideARollUpUsesTheFinerRecordsAndNothingStraddles()
    {
        var data = Build(5);
        // From 5 min into the first 10 min interval to 15 s before the end of a minute: every tier appears, none straddles.
        long firstTen = EpochRollup.AlignDown(T0, TenMinutes) + TenMinutes;
        var window = ViewWindow.Between(firstTen - 5 * Minute + 10 * Second, firstTen + TenMinutes + 3 * Minute - 20 * Second);
        var view = View(data.All, window);
        var truth = new ExactTruth(Inside(data, window));
        Assert.Equal(truth.Bytes, (ulong)view.Totals().Bytes.Value);
        Assert.All(view.Records, r => Assert.True(window.Contains(r.Id.StartMicros, r.Id.EndMicros)));
        foreach (var o in Enumerable.Range(0, Origins).Select(Origin))
        {
            var mine = view.Records.Where(r => r.Id.Origin == o).ToList();
            Assert.Single(mine, r => r.Id.LengthMicros == TenMinutes);
            Assert.Equal(4 + 2, mine.Count(r => r.Id.LengthMicros == Minute)); // 4 before the 10 min, 2 after
            Assert.Equal(5 + 4, mine.Count(r => r.Id.LengthMicros == 10 * Second));
        }
    }

    [Fact]
    public void PartialEpochRecordsAfterARestartAreRolledUpLikeAnyOther()
    {
        // One origin restarted 4 s into an epoch: that epoch has two records (4 s and 6 s); the minute roll-up merges all.
        long minuteStart = EpochRollup.AlignDown(T0, Minute) + Minute;
        var parts = new List<EpochRecord>();
        var lengths = new (long Offset, long Length)[] { (0, 10), (10, 10), (20, 4), (24, 6), (30, 10), (40, 10), (50, 10) };
        var random = new Random(9);
        foreach (var (offset, length) in lengths)
        {
            var summary = new EpochSummary(new EpochId("restarted", minuteStart + offset * Second, length * Second), EpochTestTraffic.Key);
            for (int i = 0; i < 20; i++)
            {
                var source = IpAddress128.FromIPv4(0x0A000001u + (uint)random.Next(4));
                var destination = IpAddress128.FromIPv4(0x0A640000u + (uint)random.Next(30));
                summary.Add(new FlowTableDelta(IpProtocol.Udp, source, (ushort)random.Next(1024, 65535), destination, 53,
                    random.Next(1, 5), random.Next(60, 1000), 0, 0, true, 0, 0));
            }
            parts.Add(summary.Seal());
        }
        var rollUp = EpochRollup.RollUp(parts, Minute).Single();
        Assert.Equal(new EpochId("restarted", minuteStart, Minute), rollUp.Id);
        var window = ViewWindow.Between(minuteStart, minuteStart + Minute);
        var expected = new[] { new ExpectedOrigin("restarted", OriginLiveness.Alive) };
        var fromParts = GlobalView.Build(parts, expected, minuteStart + 2 * Minute, window);
        var fromBoth = GlobalView.Build(parts.Append(rollUp).Reverse(), expected, minuteStart + 2 * Minute, window, Coarsest);
        Assert.Equal(parts.Aggregate(0UL, (sum, r) => sum + r.Totals.All.Bytes), (ulong)fromBoth.Totals().Bytes.Value);
        Assert.Equal(fromParts.Totals().Bytes.Value, fromBoth.Totals().Bytes.Value);
        Assert.Equal([rollUp.Id], fromBoth.Records.Select(r => r.Id));
        Assert.Equal(fromParts.Distinct(DistinctKind.Flows).Count, fromBoth.Distinct(DistinctKind.Flows).Count);
        var coverage = fromBoth.Coverage.Origins.Single();
        Assert.Equal((6, 6, CoverageStatus.Complete), (coverage.SettledEpochs, coverage.CoveredEpochs, coverage.Status));
        // With the default preference for fine points, the 4 s and 6 s parts complete their epoch: the parts are read.
        var preferred = GlobalView.Build(parts.Append(rollUp), expected, minuteStart + 2 * Minute, window);
        Assert.Equal(parts.Select(r => r.Id), preferred.Records.Select(r => r.Id));
        Assert.Equal(fromBoth.Totals().Bytes.Value, preferred.Totals().Bytes.Value);
    }

    [Fact]
    public void AShortWindowKeepsItsTenSecondPointsWhileThePartsAreHeld()
    {
        var data = Build(6);
        // 5 minutes on minute boundaries (T0 is 20 s past a minute): the minute roll-ups lie inside, yet the default
        // view prefers 10 s records (a 5 min chart wants more than 5 points) while they are all held.
        var window = ViewWindow.Between(T0 + 40 * Second, T0 + 340 * Second);
        var truth = new ExactTruth(Inside(data, window));
        var view = GlobalView.Build(data.All, Alive, Now, window);
        Assert.All(view.Records, r => Assert.Equal(10 * Second, r.Id.LengthMicros));
        Assert.Equal(truth.Bytes, (ulong)view.Totals().Bytes.Value);
        Assert.Equal(TimeSpan.FromSeconds(10), view.Series().Bucket);

        // One minute's 10 s records of one origin are gone (pruned): that minute is read from its roll-up.
        var minute = data.Minutes.First(r => r.Id.Origin == Origin(0) && window.Contains(r.Id.StartMicros, r.Id.EndMicros));
        var held = data.All.Where(r => !(r.Id.Origin == minute.Id.Origin && r.Id.LengthMicros == 10 * Second
            && r.Id.StartMicros >= minute.Id.StartMicros && r.Id.EndMicros <= minute.Id.EndMicros && r.Id.StartMicros % (20 * Second) == 0));
        var partly = GlobalView.Build(held, Alive, Now, window);
        Assert.Contains(minute, partly.Records);
        Assert.Equal(truth.Bytes, (ulong)partly.Totals().Bytes.Value);
        Assert.True(partly.Coverage.IsComplete);
    }
}
