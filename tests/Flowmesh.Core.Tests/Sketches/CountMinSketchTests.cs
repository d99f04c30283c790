using Flowmesh.Core.Sketches;

namespace Flowmesh.Core.Tests.Sketches;

public sealed class CountMinSketchTests
{
    /// <summary>A skewed weighted stream (Zipf-like ranks, byte-like weights) with its exact per-item totals.</summary>
    private static (List<(long Item, ulong Weight)> Stream, Dictionary<long, ulong> Exact) MakeStream(int updates, int distinct, ulong seed)
    {
        var stream = new List<(long, ulong)>(updates);
        var exact = new Dictionary<long, ulong>();
        ulong state = seed;
        for (int i = 0; i < updates; i++)
        {
            double u = (TestKeys.Next(ref state) >> 11) * (1.0 / (1UL << 53));
            long item = (long)Math.Floor(Math.Pow(distinct, u)); // log-uniform ranks: a heavy head, a long tail
            ulong weight = 40 + TestKeys.Next(ref state) % 1460;
            stream.Add((item, weight));
            exact[item] = exact.GetValueOrDefault(item) + weight;
        }
        return (stream, exact);
    }

    [Theory]
    [InlineData(272, 3, true)]   // eps 1 %, delta 5 %
    [InlineData(272, 3, false)]
    [InlineData(64, 1, true)]    // eps 4.2 %, delta 37 %: the bound must hold even for a single row
    [InlineData(64, 1, false)]
    public void NeverUnderestimatesAndRarelyExceedsEpsilonN(int width, int depth, bool conservative)
    {
        var (stream, exact) = MakeStream(100_000, 20_000, 42);
        var sketch = new CountMinSketch(TestKeys.Primary, width, depth, conservative);
        foreach (var (item, weight) in stream)
            sketch.Add(TestKeys.Item(item), weight);

        ulong total = (ulong)exact.Values.Sum(v => (decimal)v);
        Assert.Equal(total, sketch.TotalWeight);
        int above = 0, queries = 0;
        // Items present and items never seen (true count 0) alike.
        foreach (long item in exact.Keys.Concat(Enumerable.Range(1_000_000, 5_000).Select(i => (long)i)))
        {
            ulong truth = exact.GetValueOrDefault(item);
            ulong estimate = sketch.Estimate(TestKeys.Item(item));
            Assert.True(estimate >= truth, $"item {item}: estimate {estimate} below the true {truth}");
            if (estimate - truth > sketch.ErrorBound)
                above++;
            queries++;
        }
        double fraction = above / (double)queries;
        Assert.True(fraction <= sketch.Delta, $"{fraction:P2} of queries exceed eps*N, more than delta = {sketch.Delta:P2}");
    }

    [Fact]
    public void ConservativeUpdateIsNeverWorseThanStandard()
    {
        var (stream, exact) = MakeStream(50_000, 10_000, 9);
        var conservative = new CountMinSketch(TestKeys.Primary, 128, 3, true);
        var standard = new CountMinSketch(TestKeys.Primary, 128, 3, false);
        foreach (var (item, weight) in stream)
        {
            conservative.Add(TestKeys.Item(item), weight);
            standard.Add(TestKeys.Item(item), weight);
        }
        ulong conservativeError = 0, standardError = 0;
        foreach (var (item, truth) in exact)
        {
            ulong c = conservative.Estimate(TestKeys.Item(item));
            ulong s = standard.Estimate(TestKeys.Item(item));
            Assert.InRange(c, truth, s);
            conservativeError += c - truth;
            standardError += s - truth;
        }
        Assert.True(conservativeError < standardError);
    }

    [Fact]
    public void StandardMergeIsBitIdenticalToTheConcatenatedStreamAndNotIdempotent()
    {
        var (stream, _) = MakeStream(30_000, 5_000, 3);
        var a = new CountMinSketch(TestKeys.Primary, 512, 4, conservativeUpdate: false);
        var b = new CountMinSketch(TestKeys.Primary, 512, 4, conservativeUpdate: false);
        var whole = new CountMinSketch(TestKeys.Primary, 512, 4, conservativeUpdate: false);
        for (int i = 0; i < stream.Count; i++)
        {
            var (item, weight) = stream[i];
            (i % 3 == 0 ? a : b).Add(TestKeys.Item(item), weight);
            whole.Add(TestKeys.Item(item), weight);
        }
        byte[] aBytes = a.Serialize();
        a.Merge(b);
        Assert.Equal(whole.Serialize(), a.Serialize());

        // Merging the same record twice double-counts: this is why Count-Min travels as exactly-once records.
        a.Merge(b);
        Assert.Equal(whole.TotalWeight + b.TotalWeight, a.TotalWeight);
        Assert.NotEqual(whole.Serialize(), a.Serialize());
        var b2 = CountMinSketch.Deserialize(aBytes, TestKeys.Primary);
        b2.Merge(b2);
        Assert.Equal(2 * CountMinSketch.Deserialize(aBytes, TestKeys.Primary).TotalWeight, b2.TotalWeight);
    }

    [Fact]
    public void ConservativeMergeKeepsTheGuarantee()
    {
        var (stream, exact) = MakeStream(60_000, 10_000, 5);
        var parts = Enumerable.Range(0, 6).Select(_ => new CountMinSketch(TestKeys.Primary, 272, 3)).ToArray();
        for (int i = 0; i < stream.Count; i++)
            parts[i % parts.Length].Add(TestKeys.Item(stream[i].Item), stream[i].Weight);
        var merged = new CountMinSketch(TestKeys.Primary, 272, 3);
        foreach (var part in parts)
            merged.Merge(part);
        int above = 0;
        foreach (var (item, truth) in exact)
        {
            ulong estimate = merged.Estimate(TestKeys.Item(item));
            Assert.True(estimate >= truth);
            if (estimate - truth > merged.ErrorBound)
                above++;
        }
        Assert.True(above / (double)exact.Count <= merged.Delta);
    }

    [Fact]
    public void RoundTripsWithNarrowAndWideCounters()
    {
        var narrow = new CountMinSketch(TestKeys.Primary);
        narrow.Add("a"u8, 1000);
        byte[] narrowBytes = narrow.Serialize();
        Assert.Equal(16_417, narrowBytes.Length);
        Assert.Equal(narrowBytes, CountMinSketch.Deserialize(narrowBytes, TestKeys.Primary).Serialize());

        var wide = new CountMinSketch(TestKeys.Primary, 100, 2, conservativeUpdate: false);
        wide.Add("big"u8, 1UL << 40);
        wide.Add("small"u8, 3);
        byte[] wideBytes = wide.Serialize();
        Assert.Equal(20 + 13 + 200 * 8, wideBytes.Length);
        var copy = CountMinSketch.Deserialize(wideBytes, TestKeys.Primary);
        Assert.Equal(1UL << 40, copy.Estimate("big"u8));
        Assert.False(copy.ConservativeUpdate);
        Assert.Equal(wideBytes, copy.Serialize());
    }

    [Fact]
    public void SizingFollowsTheCormodeMuthukrishnanRule()
    {
        Assert.Equal((272, 3), CountMinSketch.SizeFor(0.01, 0.05));
        var sketch = new CountMinSketch(TestKeys.Primary, 1024, 4);
        Assert.Equal(Math.E / 1024, sketch.Epsilon, 12);
        Assert.Equal(Math.Exp(-4), sketch.Delta, 12);
    }

    [Fact]
    public void RefusesMismatchedMerges()
    {
        Assert.Throws<ArgumentException>(() => new CountMinSketch(TestKeys.Primary, 100, 2).Merge(new CountMinSketch(TestKeys.Primary, 100, 3)));
        Assert.Throws<ArgumentException>(() => new CountMinSketch(TestKeys.Primary).Merge(new CountMinSketch(TestKeys.Other)));
    }

    [Fact]
    public void UpdatesAllocateNothing()
    {
        var conservative = new CountMinSketch(TestKeys.Primary);
        var standard = new CountMinSketch(TestKeys.Primary, conservativeUpdate: false);
        byte[] item = new byte[13];
        long allocated = AllocationMeter.Measure(() =>
        {
            for (int i = 0; i < 50_000; i++)
            {
                BitConverter.TryWriteBytes(item, i);
                conservative.Add(item, 1500);
                standard.Add(item, 1500);
            }
        });
        Assert.Equal(0, allocated);
    }
}
