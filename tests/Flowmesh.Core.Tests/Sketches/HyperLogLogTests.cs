using System.Numerics;
using Flowmesh.Core.Sketches;

namespace Flowmesh.Core.Tests.Sketches;

public sealed class HyperLogLogTests(ITestOutputHelper output)
{
    public static TheoryData<int, int, int> AccuracyCases => new()
    {
        // precision, true cardinality, trials
        { 12, 10, 300 },
        { 12, 700, 200 },       // sparse, just below the 768-token switch
        { 12, 1_000, 200 },     // dense, just above it
        { 12, 5_000, 100 },     // around 1.2 m, where raw HLL needs linear counting; Ertl's estimator must not
        { 12, 100_000, 60 },
        { 12, 10_000_000, 6 },
        { 14, 100_000, 40 },
    };

    [Theory]
    [MemberData(nameof(AccuracyCases))]
    public void EstimatesStayWithinTheStandardErrorBound(int precision, int cardinality, int trials)
    {
        double sigma = 1.04 / Math.Sqrt(1 << precision);
        ulong state = (ulong)(precision * 1_000_003 + cardinality);
        double sumError = 0, sumSquared = 0;
        int beyondThreeSigma = 0;
        for (int trial = 0; trial < trials; trial++)
        {
            var sketch = new HyperLogLog(TestKeys.Primary, precision);
            // Uniform 64-bit values stand in for keyed hashes of distinct items (collisions: ~n^2/2^65, none).
            for (int i = 0; i < cardinality; i++)
                sketch.AddHash(TestKeys.Next(ref state));
            double error = sketch.Estimate() / cardinality - 1;
            sumError += error;
            sumSquared += error * error;
            if (Math.Abs(error) > 3 * sigma)
                beyondThreeSigma++;
        }
        double bias = sumError / trials;
        double rmse = Math.Sqrt(sumSquared / trials);
        output.WriteLine($"p={precision} n={cardinality} trials={trials}: bias {bias:P3}, RMSE {rmse:P3} (1.04/sqrt(m) = {sigma:P3}), beyond 3 sigma {beyondThreeSigma}");
        Assert.True(Math.Abs(bias) <= 3 * sigma / Math.Sqrt(trials) + 0.002, $"bias {bias:P3} exceeds 3 standard errors of the mean ({3 * sigma / Math.Sqrt(trials):P3})");
        Assert.True(rmse <= 1.25 * sigma, $"RMSE {rmse:P3} exceeds 1.25 x 1.04/sqrt(m) = {1.25 * sigma:P3}");
        // Normal tails put 0.27 % beyond 3 sigma; allow a few percent for small trial counts.
        Assert.True(beyondThreeSigma <= Math.Max(1, trials / 30), $"{beyondThreeSigma}/{trials} trials beyond 3 sigma");
    }

    [Fact]
    public void SparseModeIsNearlyExactUpToTheSwitchAndConvertsLosslessly()
    {
        var sketch = new HyperLogLog(TestKeys.Primary, 12);
        var hashes = new List<ulong>();
        ulong state = 7;
        for (int n = 1; n <= 3000; n++)
        {
            ulong hash = TestKeys.Next(ref state);
            hashes.Add(hash);
            sketch.AddHash(hash);
            if (n <= sketch.SparseLimit)
            {
                Assert.True(sketch.IsSparse);
                Assert.InRange(sketch.Estimate(), n - 0.5, n + 0.5);
            }
            else
            {
                Assert.False(sketch.IsSparse);
            }
        }
        Assert.Equal(ExactRegisters(hashes, 12), sketch.DenseRegisterValues());
    }

    [Fact]
    public void RegistersEqualAnIndependentExactComputation()
    {
        foreach (int count in new[] { 5, 500, 50_000 })
        {
            var sketch = new HyperLogLog(TestKeys.Primary, 10);
            var hashes = new List<ulong>();
            for (int i = 0; i < count; i++)
            {
                byte[] item = TestKeys.Item(i);
                sketch.Add(item);
                hashes.Add(TestKeys.Primary.Hash(item));
            }
            Assert.Equal(ExactRegisters(hashes, 10), sketch.DenseRegisterValues());
        }
    }

    public static TheoryData<int, int, int> MergeCases => new()
    {
        { 100, 200, 50 },        // sparse + sparse stays sparse
        { 500, 500, 100 },       // sparse + sparse crosses into dense
        { 50_000, 300, 100 },    // dense + sparse
        { 300, 50_000, 100 },    // sparse + dense
        { 40_000, 60_000, 10_000 }, // dense + dense
    };

    [Theory]
    [MemberData(nameof(MergeCases))]
    public void MergeIsBitIdenticalToTheConcatenatedStream(int sizeA, int sizeB, int overlap)
    {
        var a = new HyperLogLog(TestKeys.Primary);
        var b = new HyperLogLog(TestKeys.Primary);
        var whole = new HyperLogLog(TestKeys.Primary);
        for (int i = 0; i < sizeA; i++)
        {
            a.Add(TestKeys.Item(i));
            whole.Add(TestKeys.Item(i));
        }
        for (int i = sizeA - overlap; i < sizeA - overlap + sizeB; i++)
        {
            b.Add(TestKeys.Item(i));
            whole.Add(TestKeys.Item(i));
        }
        byte[] bBefore = b.Serialize();
        var ab = HyperLogLog.Deserialize(a.Serialize(), TestKeys.Primary);
        ab.Merge(b);
        Assert.Equal(whole.Serialize(), ab.Serialize());
        var ba = HyperLogLog.Deserialize(bBefore, TestKeys.Primary);
        ba.Merge(a);
        Assert.Equal(whole.Serialize(), ba.Serialize());

        // Idempotent: merging the same sketch again, or a sketch into itself, changes nothing.
        ab.Merge(b);
        ab.Merge(a);
        ab.Merge(ab);
        Assert.Equal(whole.Serialize(), ab.Serialize());
        Assert.Equal(bBefore, b.Serialize());
    }

    [Fact]
    public void RoundTripsInBothModes()
    {
        foreach (int count in new[] { 0, 1, 700, 768, 769, 100_000 })
        {
            var sketch = new HyperLogLog(TestKeys.Primary);
            for (int i = 0; i < count; i++)
                sketch.Add(TestKeys.Item(i));
            byte[] bytes = sketch.Serialize();
            Assert.Equal(sketch.SerializedSize, bytes.Length);
            var copy = HyperLogLog.Deserialize(bytes, TestKeys.Primary);
            Assert.Equal(sketch.IsSparse, copy.IsSparse);
            Assert.Equal(sketch.Estimate(), copy.Estimate());
            Assert.Equal(bytes, copy.Serialize());
        }
        Assert.Equal(3094, DenseSketch().Serialize().Length);
    }

    [Fact]
    public void RefusesToMergeAcrossPrecisionsOrKeys()
    {
        Assert.Throws<ArgumentException>(() => new HyperLogLog(TestKeys.Primary, 12).Merge(new HyperLogLog(TestKeys.Primary, 14)));
        Assert.Throws<ArgumentException>(() => new HyperLogLog(TestKeys.Primary).Merge(new HyperLogLog(TestKeys.Other)));
        Assert.Throws<SketchFormatException>(() => HyperLogLog.Deserialize(DenseSketch().Serialize(), TestKeys.Other));
    }

    [Fact]
    public void UpdatesAllocateNothing()
    {
        HyperLogLog dense = DenseSketch();
        var sparse = new HyperLogLog(TestKeys.Primary);
        byte[] item = new byte[16];
        for (int i = 0; i < 500; i++)
        {
            BitConverter.TryWriteBytes(item, i);
            sparse.Add(item);
        }
        long allocated = AllocationMeter.Measure(() =>
        {
            for (int i = 0; i < 100_000; i++)
            {
                BitConverter.TryWriteBytes(item, i);
                dense.Add(item);
                BitConverter.TryWriteBytes(item, i % 500);
                sparse.Add(item);
            }
        });
        Assert.Equal(0, allocated);
        Assert.True(sparse.IsSparse);
    }

    private static HyperLogLog DenseSketch()
    {
        var sketch = new HyperLogLog(TestKeys.Primary);
        for (int i = 0; i < 20_000; i++)
            sketch.Add(TestKeys.Item(i));
        return sketch;
    }

    /// <summary>The textbook definition, written independently of the sketch: register = max rank per index.</summary>
    private static byte[] ExactRegisters(IEnumerable<ulong> hashes, int p)
    {
        var registers = new byte[1 << p];
        foreach (ulong hash in hashes)
        {
            int index = (int)(hash >> (64 - p));
            int rank = 1;
            for (int bit = 63 - p; bit >= 0 && ((hash >> bit) & 1) == 0; bit--)
                rank++;
            registers[index] = (byte)Math.Max(registers[index], rank);
        }
        return registers;
    }
}
