using Flowmesh.Core.Sketches;

namespace Flowmesh.Core.Tests.Sketches;

/// <summary>
/// <see cref="QuantileSketch"/> against exact quantiles of the same values (sorted arrays): the relative error bound,
/// the bounds it reports, merge = the sketch of the union, and hostile bytes.
/// </summary>
public sealed class QuantileSketchTests(ITestOutputHelper output)
{
    private static readonly double[] Qs = [0, 0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1];

    /// <summary>Log-normal values around <paramref name="median"/> µs (an RTT-like spread), fixed seed.</summary>
    private static ulong[] LogNormal(int seed, int n, double median, double sigma)
    {
        var random = new Random(seed);
        var values = new ulong[n];
        for (int i = 0; i < n; i++)
        {
            double u1 = 1 - random.NextDouble(), u2 = random.NextDouble();
            double z = Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
            values[i] = (ulong)Math.Max(1, Math.Round(median * Math.Exp(sigma * z)));
        }
        return values;
    }

    private static ulong Exact(ulong[] sorted, double q) => sorted[(int)Math.Floor(q * (sorted.Length - 1))];

    private static QuantileSketch Of(IEnumerable<ulong> values)
    {
        var sketch = new QuantileSketch();
        foreach (ulong v in values) sketch.Add(v);
        return sketch;
    }

    [Theory]
    [InlineData(1, 10_000, 20_000.0, 0.5)]   // 20 ms ± a factor of 1.6: a LAN/WAN mix
    [InlineData(2, 50_000, 300.0, 0.5)]      // sub-millisecond LAN
    [InlineData(3, 100, 50_000.0, 0.2)]      // few samples
    [InlineData(4, 20_000, 100_000.0, 0.05)] // a narrow peak (queueing at a fixed delay)
    public void EveryQuantileIsWithinTheRelativeAccuracyOfTheExactOne(int seed, int n, double median, double sigma)
    {
        ulong[] values = LogNormal(seed, n, median, sigma);
        var sketch = Of(values);
        Array.Sort(values);
        double worst = 0;
        foreach (double q in Qs)
        {
            ulong truth = Exact(values, q);
            var estimate = sketch.Quantile(q)!.Value;
            double relative = Math.Abs(estimate.Value - truth) / truth;
            worst = Math.Max(worst, relative);
            Assert.True(relative <= QuantileSketch.RelativeAccuracy + 1e-12, $"q={q}: {estimate.Value} vs exact {truth} ({relative:P2})");
            Assert.InRange(truth, estimate.Lower, estimate.Upper);
        }
        output.WriteLine($"seed {seed}, n {n}: worst relative error {worst:P3} (bound {QuantileSketch.RelativeAccuracy:P0}), {sketch.Serialize().Length} B");
        Assert.Equal(values[0], sketch.Min);
        Assert.Equal(values[^1], sketch.Max);
    }

    [Fact]
    public void FoldedValuesKeepTrueBoundsAndTheRestKeepsItsAccuracy()
    {
        // 1 µs .. 10 s: far more than 128 buckets apart, so the low end is folded.
        var random = new Random(7);
        ulong[] values = Enumerable.Range(0, 30_000).Select(_ => (ulong)Math.Exp(random.NextDouble() * Math.Log(10_000_000))).ToArray();
        var sketch = Of(values);
        Array.Sort(values);
        int folded = 0;
        for (double q = 0; q <= 1; q += 0.005)
        {
            ulong truth = Exact(values, q);
            var e = sketch.Quantile(q)!.Value;
            Assert.InRange(truth, e.Lower, e.Upper);
            if (e.Upper / Math.Max(e.Lower, 1) > 1.05) folded++;
            else Assert.True(Math.Abs(e.Value - truth) <= QuantileSketch.RelativeAccuracy * truth + 1e-9, $"q={q}");
        }
        // Values below max / γ^127 (about 1/160 of 10 s, i.e. below 63 ms) are folded: log-uniform, that is 68 % of them.
        output.WriteLine($"{folded} of 201 quantiles read from the folded bucket");
        Assert.InRange(folded, 100, 150);
        Assert.True(sketch.Serialize().Length < 128 * 4 + 64);
    }

    [Fact]
    public void MergingIsTheSketchOfTheUnionInAnyOrder()
    {
        var random = new Random(11);
        for (int trial = 0; trial < 40; trial++)
        {
            // Parts with different ranges, so merges shift and fold windows both ways.
            var parts = Enumerable.Range(0, 1 + random.Next(6)).Select(p =>
                LogNormal(100 * trial + p, random.Next(0, 400), Math.Exp(random.NextDouble() * 14), random.NextDouble() * 2)
                    .Concat(Enumerable.Repeat(0UL, random.Next(3))).ToArray()).ToList();
            var union = Of(parts.SelectMany(p => p));
            var merged = new QuantileSketch();
            foreach (var part in parts.OrderBy(_ => random.Next())) merged.Merge(Of(part));
            Assert.Equal(union.Serialize(), merged.Serialize());
            // A tree: pairs first.
            var sketches = parts.Select(Of).ToList();
            while (sketches.Count > 1)
            {
                sketches[0].Merge(sketches[^1]);
                sketches.RemoveAt(sketches.Count - 1);
            }
            if (sketches.Count == 1) Assert.Equal(union.Serialize(), sketches[0].Serialize());
        }
    }

    [Fact]
    public void AddingInAnyOrderGivesTheSameBytes()
    {
        ulong[] values = LogNormal(5, 5_000, 1_000, 3);
        byte[] sorted = Of(values.Order()).Serialize(), reversed = Of(values.OrderDescending()).Serialize();
        Assert.Equal(sorted, reversed);
        Assert.Equal(sorted, Of(values).Serialize());
    }

    [Fact]
    public void RoundTripsAndEdgeCases()
    {
        Assert.Null(new QuantileSketch().Quantile(0.5));
        var zeros = Of([0, 0, 0]);
        Assert.Equal(0, zeros.Quantile(0.9)!.Value.Value);
        var clamped = Of([ulong.MaxValue]);
        Assert.Equal(QuantileSketch.MaxValue, clamped.Max);
        foreach (var sketch in new[] { new QuantileSketch(), zeros, clamped, Of([1]), Of(LogNormal(9, 1000, 5000, 4)), Of([0, 1, 2, 3, 1_000_000]) })
        {
            byte[] bytes = sketch.Serialize();
            var back = QuantileSketch.Deserialize(bytes, out int consumed);
            Assert.Equal(bytes.Length, consumed);
            Assert.Equal(bytes, back.Serialize());
            foreach (double q in Qs) Assert.Equal(sketch.Quantile(q), back.Quantile(q));
        }
    }

    [Fact]
    public void HostileBytesAreRejectedOrReadAsCanonical()
    {
        byte[] bytes = Of(LogNormal(13, 3000, 20_000, 1.5).Append(0UL)).Serialize();
        for (int length = 0; length < bytes.Length; length++)
            Assert.Throws<SketchFormatException>(() => QuantileSketch.Deserialize(bytes.AsSpan(0, length), out _));
        var random = new Random(17);
        int accepted = 0;
        for (int i = 0; i < 20_000; i++)
        {
            byte[] copy = (byte[])bytes.Clone();
            for (int f = 1 + random.Next(3); f > 0; f--) copy[random.Next(copy.Length)] = (byte)random.Next(256);
            try
            {
                var sketch = QuantileSketch.Deserialize(copy, out int consumed);
                accepted++;
                Assert.Equal(copy.AsSpan(0, consumed).ToArray(), sketch.Serialize());
                _ = sketch.Quantile(0.5);
            }
            catch (SketchFormatException)
            {
            }
        }
        output.WriteLine($"{accepted} of 20000 mutations were valid sketches");
        Assert.True(accepted < 20_000);
    }
}
