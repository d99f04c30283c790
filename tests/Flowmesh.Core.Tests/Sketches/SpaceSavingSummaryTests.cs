using Flowmesh.Core.Sketches;

namespace Flowmesh.Core.Tests.Sketches;

public sealed class SpaceSavingSummaryTests
{
    private const int KeyLength = 8;

    private static (List<(long Item, ulong Weight)> Stream, Dictionary<long, ulong> Exact) MakeStream(int updates, int distinct, double skew, ulong seed)
    {
        var stream = new List<(long, ulong)>(updates);
        var exact = new Dictionary<long, ulong>();
        ulong state = seed;
        for (int i = 0; i < updates; i++)
        {
            double u = (TestKeys.Next(ref state) >> 11) * (1.0 / (1UL << 53));
            long item = (long)Math.Floor(Math.Pow(distinct, Math.Pow(u, skew)));
            ulong weight = 1 + TestKeys.Next(ref state) % 1500;
            stream.Add((item, weight));
            exact[item] = exact.GetValueOrDefault(item) + weight;
        }
        return (stream, exact);
    }

    /// <summary>The guarantee checked against exact counts: bounds contain the truth, and nothing above U is missing.</summary>
    private static void AssertGuarantee(SpaceSavingSummary summary, Dictionary<long, ulong> exact)
    {
        ulong total = (ulong)exact.Values.Sum(v => (decimal)v);
        Assert.Equal(total, summary.TotalWeight);
        Assert.True(summary.UntrackedBound <= total / (ulong)summary.Capacity, $"U = {summary.UntrackedBound} exceeds N/k = {total / (ulong)summary.Capacity}");
        var reported = summary.HeavyHitters(summary.UntrackedBound + 1).ToDictionary(h => BitConverter.ToInt64(h.Key), h => h);
        foreach (var (item, truth) in exact)
        {
            var (lower, upper) = summary.Bounds(TestKeys.Item(item));
            Assert.True(lower <= truth && truth <= upper, $"item {item}: true {truth} outside [{lower}, {upper}]");
            Assert.True(upper - lower <= summary.UntrackedBound);
            if (truth > summary.UntrackedBound)
                Assert.True(reported.ContainsKey(item), $"item {item} with weight {truth} > U = {summary.UntrackedBound} is not reported");
            if (truth > total / (ulong)summary.Capacity)
                Assert.True(reported.ContainsKey(item), $"item {item} above N/k is not reported");
        }
    }

    [Theory]
    [InlineData(64, 0.5)]
    [InlineData(64, 1.0)]
    [InlineData(16, 2.0)]
    [InlineData(256, 1.0)]
    public void ReportsEveryItemAboveNOverKWithTrueBounds(int capacity, double skew)
    {
        var (stream, exact) = MakeStream(100_000, 50_000, skew, (ulong)capacity);
        var summary = new SpaceSavingSummary(TestKeys.Primary, capacity, KeyLength);
        foreach (var (item, weight) in stream)
            summary.Add(TestKeys.Item(item), weight);
        Assert.Equal(capacity, summary.Count);
        AssertGuarantee(summary, exact);
        // Every tracked key is found through the hash table after all the evictions (backward-shift deletion).
        foreach (var hitter in summary.Items())
            Assert.Equal((hitter.Lower, hitter.Upper), summary.Bounds(hitter.Key));
    }

    [Fact]
    public void IsExactWhileFewerThanKItems()
    {
        var summary = new SpaceSavingSummary(TestKeys.Primary, 100, KeyLength);
        for (int i = 0; i < 1000; i++)
            summary.Add(TestKeys.Item(i % 50), (ulong)(i % 7 + 1));
        Assert.Equal(0UL, summary.UntrackedBound);
        foreach (var hitter in summary.Items())
            Assert.Equal(hitter.Lower, hitter.Upper);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void MergedSummariesKeepTheGuaranteeOverTheConcatenatedStream(bool tree)
    {
        var (stream, exact) = MakeStream(120_000, 30_000, 1.0, 77);
        const int parts = 8, capacity = 48;
        var summaries = Enumerable.Range(0, parts).Select(_ => new SpaceSavingSummary(TestKeys.Primary, capacity, KeyLength)).ToList();
        ulong state = 5;
        foreach (var (item, weight) in stream)
        {
            // Items land on different nodes unevenly, as flows do.
            int node = (int)((TestKeys.Next(ref state) % 100) < 60 ? (ulong)(item % parts) : TestKeys.Next(ref state) % parts);
            summaries[node].Add(TestKeys.Item(item), weight);
        }
        SpaceSavingSummary merged;
        if (tree)
        {
            while (summaries.Count > 1)
            {
                var next = new List<SpaceSavingSummary>();
                for (int i = 0; i < summaries.Count; i += 2)
                {
                    summaries[i].Merge(summaries[i + 1]);
                    next.Add(summaries[i]);
                }
                summaries = next;
            }
            merged = summaries[0];
        }
        else
        {
            merged = summaries[0];
            foreach (var summary in summaries.Skip(1))
                merged.Merge(summary);
        }
        AssertGuarantee(merged, exact);
    }

    [Fact]
    public void UpdatesAfterAMergeKeepTheGuarantee()
    {
        var (stream, exact) = MakeStream(60_000, 20_000, 1.0, 11);
        var a = new SpaceSavingSummary(TestKeys.Primary, 32, KeyLength);
        var b = new SpaceSavingSummary(TestKeys.Primary, 32, KeyLength);
        for (int i = 0; i < stream.Count; i++)
        {
            if (i == stream.Count / 2)
                a.Merge(b);
            (i < stream.Count / 2 && i % 2 == 1 ? b : a).Add(TestKeys.Item(stream[i].Item), stream[i].Weight);
        }
        AssertGuarantee(a, exact);
    }

    [Fact]
    public void MergingTheSameSummaryTwiceDoubleCounts()
    {
        var (stream, exact) = MakeStream(20_000, 5_000, 1.0, 3);
        var a = new SpaceSavingSummary(TestKeys.Primary, 32, KeyLength);
        foreach (var (item, weight) in stream)
            a.Add(TestKeys.Item(item), weight);
        var copy = SpaceSavingSummary.Deserialize(a.Serialize(), TestKeys.Primary);
        a.Merge(copy);
        // The result is a valid summary of the stream taken twice, not of the stream once.
        AssertGuarantee(a, exact.ToDictionary(kv => kv.Key, kv => 2 * kv.Value));
    }

    [Fact]
    public void RoundTripsAndRejectsInconsistentBounds()
    {
        var (stream, _) = MakeStream(20_000, 5_000, 1.0, 8);
        var summary = new SpaceSavingSummary(TestKeys.Primary, 40, KeyLength);
        foreach (var (item, weight) in stream)
            summary.Add(TestKeys.Item(item), weight);
        byte[] bytes = summary.Serialize();
        Assert.Equal(20 + 26 + 40 * (KeyLength + 16), bytes.Length);
        var copy = SpaceSavingSummary.Deserialize(bytes, TestKeys.Primary);
        Assert.Equal(bytes, copy.Serialize());
        Assert.Equal(summary.Items(), copy.Items(), (x, y) => x.Key.SequenceEqual(y.Key) && x.Lower == y.Lower && x.Upper == y.Upper);

        // Claiming a smaller total than the counters add up to breaks the invariant, even with a valid CRC.
        byte[] forged = (byte[])bytes.Clone();
        BitConverter.TryWriteBytes(forged.AsSpan(16 + 10), summary.TotalWeight / 2);
        SerializedSketches.FixCrc(forged);
        Assert.Throws<SketchFormatException>(() => SpaceSavingSummary.Deserialize(forged, TestKeys.Primary));
    }

    [Fact]
    public void UpdatesAllocateNothing()
    {
        var summary = new SpaceSavingSummary(TestKeys.Primary, 256, 16);
        byte[] key = new byte[16];
        ulong state = 1;
        long allocated = AllocationMeter.Measure(() =>
        {
            for (int i = 0; i < 50_000; i++)
            {
                BitConverter.TryWriteBytes(key, TestKeys.Next(ref state) % 2000); // constant churn: evictions on most updates
                summary.Add(key, 100);
            }
        });
        Assert.Equal(0, allocated);
    }
}
