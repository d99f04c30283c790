using Flowmesh.Core.Flows;
using Flowmesh.Core.Packets;

namespace Flowmesh.Core.Tests.Flows;

/// <summary>The flow table's open-addressing index against a Dictionary as truth, through growth and heavy churn.</summary>
public sealed class FlowIndexTests
{
    [Fact]
    public void AChunkedArrayKeepsEveryElementThroughGrowth()
    {
        var array = new ChunkedArray<long>(3);
        for (int i = 0; i < 20_000; i++)
        {
            if (i == array.Capacity) array.Grow(20_000);
            array[i] = i * 7L;
        }
        Assert.Equal(20_000, array.Capacity);
        for (int i = 0; i < 20_000; i++) Assert.Equal(i * 7L, array[i]);
        Assert.Throws<InvalidOperationException>(() => array.Grow(20_000));
    }

    private static FlowKey Key(Random random, int space) =>
        new(IpAddress128.FromIPv4((uint)(0x0A000000 + random.Next(space))), (ushort)random.Next(4), IpAddress128.FromIPv4(0x0A630001), 443, 6);

    [Theory]
    [InlineData(1, 64)]        // a tiny key space: long probe runs, every removal shifts
    [InlineData(2, 5_000)]
    [InlineData(3, 1_000_000)] // mostly inserts: growth
    public void FindAddAndRemoveAgreeWithADictionaryThroughChurn(int seed, int space)
    {
        var random = new Random(seed);
        var index = new FlowIndex(4);
        var truth = new Dictionary<FlowKey, int>();
        var entries = new ChunkedArray<FlowEntry>(200_000);
        var free = new Stack<int>();
        int next = 0;
        for (int step = 0; step < 150_000; step++)
        {
            var key = Key(random, space);
            int found = index.Find(in key, entries);
            Assert.Equal(truth.TryGetValue(key, out int expected) ? expected : -1, found);
            if (found < 0 && random.Next(3) != 0)
            {
                int slot = free.Count > 0 ? free.Pop() : next++;
                entries[slot].Key = key;
                index.Add(in key, slot);
                truth.Add(key, slot);
            }
            else if (found >= 0 && random.Next(2) == 0)
            {
                Assert.True(index.Remove(in key, found));
                Assert.False(index.Remove(in key, found));
                truth.Remove(key);
                entries[found] = default;
                free.Push(found);
            }
            Assert.Equal(truth.Count, index.Count);
        }
        foreach (var (key, slot) in truth) Assert.Equal(slot, index.Find(in key, entries));
    }

    [Fact]
    public void TwoTablesHashTheSameKeysDifferently()
    {
        // Keyed per table: which keys share a bucket run cannot be chosen by whoever sends the packets.
        var random = new Random(5);
        var keys = Enumerable.Range(0, 64).Select(_ => Key(random, 1 << 24)).ToArray();
        var entries = new ChunkedArray<FlowEntry>(64);
        for (int i = 0; i < 64; i++) entries[i].Key = keys[i];
        string Layout()
        {
            var index = new FlowIndex(64);
            for (int i = 0; i < 64; i++) index.Add(in keys[i], i);
            var field = typeof(FlowIndex).GetField("_buckets", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!;
            return string.Join(",", ((ulong[])field.GetValue(index)!).Select(b => (uint)b));
        }
        Assert.NotEqual(Layout(), Layout());
    }
}
