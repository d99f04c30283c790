using Flowmesh.Core.Sketches;

namespace Flowmesh.Core.Tests.Sketches;

public sealed class SpreadSketchTests
{
    private readonly ITestOutputHelper _output;

    public SpreadSketchTests(ITestOutputHelper output) => _output = output;

    private static byte[] Address(long value)
    {
        var bytes = new byte[16];
        BitConverter.TryWriteBytes(bytes.AsSpan(8), value);
        bytes[0] = 0x20;
        return bytes;
    }

    /// <summary>
    /// Background hosts with small fan-out (1..maxBackground distinct destinations) and scanners with large fan-out,
    /// scattered over <paramref name="nodes"/> agents; returns the agents' sketches and the exact per-source sets.
    /// </summary>
    private static (List<SpreadSketch> Nodes, Dictionary<long, HashSet<long>> Exact) Traffic(
        int backgroundSources, int maxBackground, int[] scannerSpreads, int nodes, ulong seed, SketchHashKey? key = null)
    {
        key ??= TestKeys.Primary;
        var sketches = Enumerable.Range(0, nodes).Select(_ => new SpreadSketch(key, 16)).ToList();
        var exact = new Dictionary<long, HashSet<long>>();
        ulong state = seed;
        void Contact(long source, long destination)
        {
            if (!exact.TryGetValue(source, out var set))
                exact[source] = set = [];
            set.Add(destination);
            // Each contact is seen by the agent owning the destination (and sometimes the source's agent too).
            sketches[(int)(TestKeys.Next(ref state) % (ulong)nodes)].Add(Address(source), Address(destination));
        }
        for (long source = 1; source <= backgroundSources; source++)
        {
            int fanOut = 1 + (int)(TestKeys.Next(ref state) % (ulong)maxBackground);
            for (int i = 0; i < fanOut; i++)
                Contact(source, (long)(TestKeys.Next(ref state) % 100_000));
        }
        for (int s = 0; s < scannerSpreads.Length; s++)
        {
            long scanner = 1_000_000 + s;
            for (int i = 0; i < scannerSpreads[s]; i++)
                Contact(scanner, 200_000 + i);
        }
        return (sketches, exact);
    }

    /// <summary>
    /// Characterizes the shipped size (d = 3, w = 64, b = 64, 2 candidates per bucket) on a network of 10 agents:
    /// background hosts with fan-out 1..maxBackground plus scanners of known fan-out, a fresh hash key per trial (as
    /// with per-epoch key rotation). Thresholds are set relative to the sketch's own <see cref="SpreadSketch.DetectionFloor"/>.
    /// The bounds asserted are the observed rates with margin; docs/sketches.md lists the measured values.
    /// </summary>
    [Theory]
    [InlineData(1000, 20)]
    [InlineData(5000, 20)]
    [InlineData(20000, 10)]
    public void CharacterizeDetectionAtTheShippedSize(int background, int maxBackground)
    {
        int[] scanners = [100, 200, 300, 500, 1000, 2000, 3000, 5000, 20000];
        const int trials = 25;
        double sigma = 1.04 / 8;
        int eligible = 0, missed = 0, falsePositives = 0, accurate = 0, large = 0;
        double worstRelative = 0;
        for (int trial = 0; trial < trials; trial++)
        {
            var key = new SketchHashKey(Enumerable.Range(0, 16).Select(i => (byte)(i * 31 + trial * 7 + background)).ToArray());
            var (nodes, exact) = Traffic(background, maxBackground, scanners, 10, (ulong)(trial * 7919 + background), key);
            var merged = new SpreadSketch(key, 16);
            foreach (var node in nodes)
                merged.Merge(node);
            long pairs = exact.Values.Sum(set => (long)set.Count);
            Assert.InRange(merged.DetectionFloor, 0.8 * 3 * sigma * pairs / 64, 1.2 * 3 * sigma * pairs / 64);

            double threshold = Math.Max(50, 2 * merged.DetectionFloor);
            var reported = merged.KeysAtOrAbove(threshold).ToDictionary(c => BitConverter.ToInt64(c.Key, 8), c => c.Estimate);
            foreach (var (source, set) in exact)
            {
                int truth = set.Count;
                if (truth >= 2 * threshold)
                {
                    eligible++;
                    if (!reported.ContainsKey(source))
                        missed++;
                }
                if (reported.ContainsKey(source) && truth < threshold / 2)
                    falsePositives++;
                if (truth >= 4 * threshold)
                {
                    large++;
                    double relative = Math.Abs(merged.Estimate(Address(source)) / truth - 1);
                    worstRelative = Math.Max(worstRelative, relative);
                    if (relative <= 3 * sigma)
                        accurate++;
                }
            }
        }
        _output.WriteLine($"background {background} x 1..{maxBackground}, T = 2 x floor: missed {missed}/{eligible} keys >= 2T, " +
            $"{falsePositives} false positives (< T/2) in {trials} trials, {accurate}/{large} keys >= 4T within 3 sigma (worst {worstRelative:P1})");
        Assert.True(missed <= eligible * 0.03, $"missed {missed} of {eligible} keys with spread >= 2T");
        Assert.True(falsePositives <= trials / 10, $"{falsePositives} false positives in {trials} trials");
        Assert.True(accurate >= large * 0.95, $"only {accurate}/{large} large keys within 3 sigma");
    }

    [Fact]
    public void MergeIsBitIdenticalToTheConcatenatedStreamAndIdempotent()
    {
        var (nodes, exact) = Traffic(2000, 15, [400, 3000], 7, 9);
        var whole = new SpreadSketch(TestKeys.Primary, 16);
        foreach (var (source, set) in exact)
        {
            foreach (long destination in set)
                whole.Add(Address(source), Address(destination));
        }
        // Any order and grouping of merges gives the same bytes: merge is a lattice join.
        var forward = new SpreadSketch(TestKeys.Primary, 16);
        foreach (var node in nodes)
            forward.Merge(node);
        var backward = new SpreadSketch(TestKeys.Primary, 16);
        for (int i = nodes.Count - 1; i >= 0; i--)
            backward.Merge(nodes[i]);
        Assert.Equal(whole.Serialize(), forward.Serialize());
        Assert.Equal(whole.Serialize(), backward.Serialize());
        forward.Merge(nodes[3]);
        forward.Merge(forward);
        forward.Merge(whole);
        Assert.Equal(whole.Serialize(), forward.Serialize());
    }

    [Fact]
    public void CountsDistinctPortsPerSourceWithTwoByteElements()
    {
        var sketch = new SpreadSketch(TestKeys.Primary, 16);
        for (int port = 1; port <= 1024; port++)
        {
            sketch.Add(Address(1), BitConverter.GetBytes((ushort)port));
            sketch.Add(Address(1), BitConverter.GetBytes((ushort)port)); // repeats do not count
        }
        sketch.Add(Address(2), BitConverter.GetBytes((ushort)443));
        double sigma = sketch.BucketRelativeStandardError;
        Assert.InRange(sketch.Estimate(Address(1)), 1024 * (1 - 3 * sigma), 1024 * (1 + 3 * sigma));
        var found = Assert.Single(sketch.KeysAtOrAbove(100));
        Assert.Equal(Address(1), found.Key);
    }

    [Fact]
    public void RoundTripsAndRejectsCandidatesInTheWrongBucket()
    {
        var (nodes, _) = Traffic(500, 10, [1000], 1, 4);
        byte[] bytes = nodes[0].Serialize();
        Assert.Equal(12_698, bytes.Length);
        var copy = SpreadSketch.Deserialize(bytes, TestKeys.Primary);
        Assert.Equal(bytes, copy.Serialize());

        // Swap the candidate keys of two occupied buckets: both keys are real, neither hashes to its new bucket.
        const int bucketBytes = 32 + 2 * (1 + 16);
        const int body = 16 + 6;
        byte[] forged = (byte[])bytes.Clone();
        byte[] first = forged.AsSpan(body + 0 * bucketBytes + 33, 16).ToArray();
        forged.AsSpan(body + 1 * bucketBytes + 33, 16).CopyTo(forged.AsSpan(body + 0 * bucketBytes + 33));
        first.CopyTo(forged.AsSpan(body + 1 * bucketBytes + 33));
        Assert.NotEqual(bytes, forged);
        SerializedSketches.FixCrc(forged);
        Assert.Throws<SketchFormatException>(() => SpreadSketch.Deserialize(forged, TestKeys.Primary));
    }

    [Fact]
    public void UpdatesAllocateNothing()
    {
        var sketch = new SpreadSketch(TestKeys.Primary, 16);
        byte[] source = new byte[16];
        byte[] destination = new byte[16];
        long allocated = AllocationMeter.Measure(() =>
        {
            for (int i = 0; i < 50_000; i++)
            {
                BitConverter.TryWriteBytes(source, i % 300);
                BitConverter.TryWriteBytes(destination, i);
                sketch.Add(source, destination);
            }
        });
        Assert.Equal(0, allocated);
    }
}
