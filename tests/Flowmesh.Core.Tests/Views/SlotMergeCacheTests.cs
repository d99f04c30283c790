using System.Text.Json;
using Flowmesh.Core.Detections;
using Flowmesh.Core.Epochs;
using Flowmesh.Core.Packets;
using Flowmesh.Core.Tests.Epochs;
using Flowmesh.Core.Views;
using static Flowmesh.Core.Tests.Views.ViewTraffic;

namespace Flowmesh.Core.Tests.Views;

/// <summary>
/// Views built slot by slot with a <see cref="SlotMergeCache"/> shared between builds, as the agent builds them every
/// epoch, against views built from scratch from the same records (no cache) and against independent truth (the records'
/// own totals, the exact union of their distinct counters): equal in every answer, whatever arrived late, twice or was
/// superseded by a roll-up, and a late record makes the cache merge its slot's records again and no other records.
/// </summary>
[Collection(nameof(RunsAloneCollection))]
public sealed class SlotMergeCacheTests
{
    private const long Minute = 60 * Second;
    private const int Seconds = 420; // 7 min: several 1 min slots, 10 s edges, and a 5 min window that slides
    private const int Origins = 3;

    private static readonly string[] AddressesA = ["10.0.0.1", "2001:db8::1"];
    private static readonly string[] AddressesB = ["10.0.0.2", "10.0.5.2", "2001:db8::2"];

    private sealed record Data(List<EpochRecord> Raw, List<EpochRecord> Minutes);

    private static readonly Lazy<Data> Records = new(() =>
    {
        var random = new Random(41);
        var raw = new List<EpochRecord>();
        var minutes = new List<EpochRecord>();
        for (int o = 0; o < Origins; o++)
        {
            var own = Summarize(o, Normal(random, o, T0, Seconds, manySmallFlows: o == 0));
            raw.AddRange(own);
            // Whole minutes only, as the agent rolls them up (T0 is 20 s past a minute).
            long firstMinute = EpochRollup.AlignDown(T0, Minute) + Minute;
            minutes.AddRange(EpochRollup.RollUp(own.Where(r => r.Id.StartMicros >= firstMinute && r.Id.EndMicros <= firstMinute + 6 * Minute), Minute));
        }
        // Two monitored PCs that see each other's flows: b leaves them to a ("left to peer" sections), so what b's
        // records add depends on whether a's record of the same epoch is held.
        var packets = AutomaticOwnershipTests.TwoPcs(seed: 5, extraFlowsBetween: 300);
        bool Touches(SyntheticPacket p, string[] addresses) => addresses.Contains(p.Source) || addresses.Contains(p.Destination);
        raw.AddRange(AutomaticOwnershipTests.Agent("a", AddressesA, "b", AddressesB, packets.Where(p => Touches(p, AddressesA))));
        raw.AddRange(AutomaticOwnershipTests.Agent("b", AddressesB, "a", AddressesA, packets.Where(p => Touches(p, AddressesB))));
        return new Data(raw, minutes);
    });

    private static readonly ExpectedOrigin[] Expected =
        [.. Enumerable.Range(0, Origins).Select(o => new ExpectedOrigin(Origin(o), OriginLiveness.Alive)),
         new ExpectedOrigin("a", OriginLiveness.Alive), new ExpectedOrigin("b", OriginLiveness.Alive)];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void CachedViewsEqualViewsFromScratchWhateverArrivesLateTwiceOrRolledUp(int seed)
    {
        var data = Records.Value;
        var random = new Random(seed);
        // Arrival order: mostly by epoch, a fifth of the records late by up to four minutes, some twice, and the
        // minute roll-ups a little after their minute (superseding their parts in windows that prefer them).
        var arrivals = data.Raw.Select(r => (At: r.Id.EndMicros + (random.Next(5) == 0 ? random.Next(0, 240) * Second : random.Next(0, 5) * Second), Record: r))
            .Concat(data.Minutes.Where(_ => random.Next(4) != 0).Select(r => (At: r.Id.EndMicros + random.Next(10, 120) * Second, Record: r)))
            .Concat(data.Raw.Where(_ => random.Next(10) == 0).Select(r => (At: r.Id.EndMicros + random.Next(0, 60) * Second, Record: r)))
            .OrderBy(a => a.At).ToList();
        var cache = new SlotMergeCache();
        var held = new List<EpochRecord>();
        int next = 0;
        TimeSpan[] lengths = [TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30)];
        for (long now = T0 + 30 * Second; now <= T0 + (Seconds + 300) * Second; now += 10 * Second)
        {
            while (next < arrivals.Count && arrivals[next].At <= now) held.Add(arrivals[next++].Record);
            foreach (var length in lengths)
            {
                var window = ViewWindow.Last(length, now, Epoch);
                var cached = GlobalView.Build(held, Expected, now, window, slots: cache);
                var fresh = GlobalView.Build(held, Expected, now, window);
                Assert.Equal(Describe(fresh), Describe(cached));
                AssertMatchesItsRecords(cached);
            }
            // An explicit window that is not epoch-aligned is one slot, merged from its records: the same answers too.
            var odd = ViewWindow.Between(T0 + 15 * Second, now);
            Assert.Equal(Describe(GlobalView.Build(held, Expected, now, odd)), Describe(GlobalView.Build(held, Expected, now, odd, slots: cache)));
        }
        Assert.True(cache.Hits > cache.SlotsMerged, $"the cache was used: {cache.Hits} hits, {cache.SlotsMerged} slots merged");
        Assert.Contains(held, r => r.Contents.Extensions.Left.Count > 0);
    }

    [Fact]
    public void ALateRecordMakesTheCacheMergeItsSlotAgainAndNothingElse()
    {
        var raw = Records.Value.Raw.Where(r => r.Id.Origin.StartsWith("node-", StringComparison.Ordinal)).ToList();
        var late = raw.Single(r => r.Id.Origin == Origin(1) && r.Id.StartMicros == T0 + 70 * Second);
        var held = raw.Where(r => r != late && r.Id.EndMicros <= T0 + 300 * Second).ToList();
        var cache = new SlotMergeCache();
        long now = T0 + 305 * Second;
        var window = ViewWindow.Last(TimeSpan.FromMinutes(5), now, Epoch);

        var first = GlobalView.Build(held, Expected, now, window, slots: cache);
        Assert.Equal(first.Records.Count, cache.RecordsMerged);

        // The same records again: every slot from the cache.
        long merged = cache.RecordsMerged;
        GlobalView.Build(held, Expected, now, window, slots: cache);
        Assert.Equal(merged, cache.RecordsMerged);

        // The late record: only the records of its epoch are merged again (its 10 s slot), the rest of its minute
        // comes from the cache.
        held.Add(late);
        var view = GlobalView.Build(held, Expected, now, window, slots: cache);
        Assert.Equal(merged + Origins, cache.RecordsMerged);
        Assert.Equal(Describe(GlobalView.Build(held, Expected, now, window)), Describe(view));

        // The next epoch: its records only.
        merged = cache.RecordsMerged;
        held.AddRange(raw.Where(r => r.Id.StartMicros == T0 + 300 * Second));
        now += 10 * Second;
        GlobalView.Build(held, Expected, now, ViewWindow.Last(TimeSpan.FromMinutes(5), now, Epoch), slots: cache);
        Assert.Equal(merged + Origins, cache.RecordsMerged);

        // A roll-up superseding a minute's records in a window that prefers it: that minute is merged from the roll-up.
        merged = cache.RecordsMerged;
        long minuteStart = EpochRollup.AlignDown(T0, Minute) + 2 * Minute;
        var minute = EpochRollup.RollUp(held.Where(r => r.Id.Origin == Origin(2) && r.Id.StartMicros >= minuteStart && r.Id.EndMicros <= minuteStart + Minute), Minute);
        Assert.Single(minute);
        held.AddRange(minute);
        var thirty = ViewWindow.Last(TimeSpan.FromMinutes(30), now, Epoch);
        GlobalView.Build(held.Where(r => r != minute[0]), Expected, now, thirty, slots: cache);
        merged = cache.RecordsMerged;
        var withRollup = GlobalView.Build(held, Expected, now, thirty, slots: cache);
        Assert.Contains(minute[0], withRollup.Records);
        Assert.Equal(merged + 1 + 2 * 6, cache.RecordsMerged); // the roll-up and the other origins' 10 s records of that minute
        Assert.Equal(Describe(GlobalView.Build(held, Expected, now, thirty)), Describe(withRollup));
    }

    [Fact]
    public void SlotsAreAlignedAndCoverTheWindowOnce()
    {
        var ladder = WindowSlots.Ladder(10 * Second);
        Assert.Equal([10 * Second, Minute, 10 * Minute, 60 * Minute, 24 * 60 * Minute], ladder);
        Assert.Equal([7 * Second], WindowSlots.Ladder(7 * Second));
        long from = T0 - 20 * Second + 3 * Minute - 40 * Second; // 40 s before a minute
        var window = ViewWindow.Between(from, from + 25 * Minute);
        var slots = WindowSlots.Partition(window, ladder)!;
        Assert.Equal(window.FromMicros, slots[0].Start);
        for (int i = 0; i < slots.Count; i++)
        {
            Assert.Equal(0, slots[i].Start % slots[i].Length);
            if (i > 0) Assert.Equal(slots[i - 1].Start + slots[i - 1].Length, slots[i].Start);
        }
        Assert.Equal(window.ToMicros, slots[^1].Start + slots[^1].Length);
        Assert.Contains(slots, s => s.Length == 10 * Minute);
        Assert.Null(WindowSlots.Partition(ViewWindow.Between(from + 1, from + Minute), ladder));
    }

    /// <summary>Independent of the slots: totals are the records' own plus what "left to peer" added; distinct counts are the exact union of the records' counters.</summary>
    private static void AssertMatchesItsRecords(GlobalView view)
    {
        var totals = view.Totals();
        ulong recordBytes = 0;
        foreach (var r in view.Records) recordBytes += r.Totals.All.Bytes;
        Assert.Equal((double)(recordBytes + view.Coverage.LeftToPeer.Bytes), totals.Bytes.Value);
        if (view.Records.Count == 0 || view.Coverage.LeftToPeer.Bytes > 0) return;
        var flat = view.Records[0].Contents.CreateEmptyLike();
        foreach (var r in view.Records) flat.MergeFrom(r.Contents);
        foreach (var kind in Enum.GetValues<DistinctKind>())
            Assert.Equal(SketchBounds.Distinct(flat.Distinct[(int)kind], Caveats.None).Value, view.Distinct(kind).Count.Value);
    }

    private static readonly JsonSerializerOptions Json = new() { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <summary>Every answer of the view, as text: two views are the same when these are.</summary>
    private static string Describe(GlobalView view)
    {
        var parts = new List<object>
        {
            view.Totals(), view.Series(), view.Coverage, view.Contributions(), view.Matrix(), view.Matrix(32, 128),
            view.Records.Select(r => r.ToString()).ToList(),
        };
        foreach (var kind in Enum.GetValues<TopKind>())
            foreach (var measure in Enum.GetValues<TrafficMeasure>())
                parts.Add(view.Top(kind, measure, 100));
        foreach (var kind in Enum.GetValues<DistinctKind>()) parts.Add(view.Distinct(kind));
        foreach (var kind in Enum.GetValues<SpreadKind>()) parts.Add(view.Spread(kind));
        parts.Add(Detectors.Scans(view, DetectionOptions.Default));
        return string.Join("\n", parts.Select(p => JsonSerializer.Serialize(p, p.GetType(), Json)));
    }
}
