using Flowmesh.Core.Sketches;

namespace Flowmesh.Core.Tests.Sketches;

public sealed class BloomFilterTests
{
    [Theory]
    [InlineData(10_000, 0.01)]
    [InlineData(5_000, 0.001)]
    [InlineData(2_000, 0.1)]
    public void HasNoFalseNegativesAndTheFalsePositiveRateItPredicts(int items, double target)
    {
        var filter = BloomFilter.ForCapacity(TestKeys.Primary, items, target);
        for (int i = 0; i < items; i++)
            filter.Add(TestKeys.Item(i));
        for (int i = 0; i < items; i++)
            Assert.True(filter.MightContain(TestKeys.Item(i)));

        const int probes = 200_000;
        int falsePositives = 0;
        for (int i = 0; i < probes; i++)
        {
            if (filter.MightContain(TestKeys.Item(10_000_000 + i)))
                falsePositives++;
        }
        double observed = falsePositives / (double)probes;
        double predicted = filter.EstimatedFalsePositiveRate;
        double theory = Math.Pow(1 - Math.Exp(-filter.HashCount * (double)items / filter.BitCount), filter.HashCount);
        double sd = Math.Sqrt(predicted * (1 - predicted) / probes);
        Assert.InRange(observed, predicted - 4 * sd, predicted + 4 * sd);
        Assert.InRange(predicted, theory * 0.9, theory * 1.1);
        Assert.InRange(predicted, target * 0.8, target * 1.2);
        Assert.InRange(filter.EstimatedCount, items * 0.95, items * 1.05);
    }

    [Fact]
    public void MergeIsBitIdenticalToTheConcatenatedStreamAndIdempotent()
    {
        var a = new BloomFilter(TestKeys.Primary, 20_000, 5);
        var b = new BloomFilter(TestKeys.Primary, 20_000, 5);
        var whole = new BloomFilter(TestKeys.Primary, 20_000, 5);
        for (int i = 0; i < 3000; i++)
        {
            (i % 2 == 0 ? a : b).Add(TestKeys.Item(i));
            whole.Add(TestKeys.Item(i));
        }
        a.Merge(b);
        Assert.Equal(whole.Serialize(), a.Serialize());
        a.Merge(b);
        a.Merge(a);
        Assert.Equal(whole.Serialize(), a.Serialize());
    }

    [Fact]
    public void RoundTripsAndRefusesMismatches()
    {
        var filter = new BloomFilter(TestKeys.Primary, 1000, 7);
        Assert.Equal(1024, filter.BitCount);
        filter.Add("x"u8);
        byte[] bytes = filter.Serialize();
        Assert.Equal(20 + 5 + 128, bytes.Length);
        var copy = BloomFilter.Deserialize(bytes, TestKeys.Primary);
        Assert.True(copy.MightContain("x"u8));
        Assert.Equal(bytes, copy.Serialize());
        Assert.Throws<ArgumentException>(() => filter.Merge(new BloomFilter(TestKeys.Primary, 1000, 6)));
        Assert.Throws<ArgumentException>(() => filter.Merge(new BloomFilter(TestKeys.Other, 1000, 7)));
    }

    [Fact]
    public void DocumentedSizeForTenThousandItemsAtOnePercent()
    {
        var filter = BloomFilter.ForCapacity(TestKeys.Primary, 10_000, 0.01);
        Assert.Equal(95_872, filter.BitCount);
        Assert.Equal(7, filter.HashCount);
        Assert.Equal(12_009, filter.Serialize().Length);
    }

    [Fact]
    public void UpdatesAndQueriesAllocateNothing()
    {
        var filter = new BloomFilter(TestKeys.Primary, 100_000, 7);
        byte[] item = new byte[16];
        bool any = false;
        long allocated = AllocationMeter.Measure(() =>
        {
            for (int i = 0; i < 50_000; i++)
            {
                BitConverter.TryWriteBytes(item, i);
                filter.Add(item);
                any |= filter.MightContain(item);
            }
        });
        Assert.Equal(0, allocated);
        Assert.True(any);
    }
}
