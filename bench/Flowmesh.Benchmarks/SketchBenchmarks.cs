using BenchmarkDotNet.Attributes;
using Flowmesh.Core.Sketches;

namespace Flowmesh.Benchmarks;

/// <summary>
/// Per-update cost of each sketch at its shipped size (OperationsPerInvoke = updates per call, so the reported
/// time is ns per update), plus merge and serialize. Anchors: DataSketches HLL about 10 ns/update, Frequent
/// Items 18-33 ns/update (C++/Java); our updates include one keyed SipHash-2-4 per item (two for spread).
/// </summary>
[MemoryDiagnoser]
public class SketchBenchmarks
{
    private const int Updates = 4096;

    private readonly SketchHashKey _key = new(Enumerable.Range(0, 16).Select(i => (byte)(i * 13 + 1)).ToArray());
    private byte[][] _items = [];
    private ulong[] _hashes = [];
    private HyperLogLog _hll = null!;
    private HyperLogLog _hllOther = null!;
    private CountMinSketch _countMin = null!;
    private CountMinSketch _countMinOther = null!;
    private SpaceSavingSummary _spaceSaving = null!;
    private SpaceSavingSummary _spaceSavingOther = null!;
    private BloomFilter _bloom = null!;
    private SpreadSketch _spread = null!;
    private SpreadSketch _spreadOther = null!;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        // 16-byte keys (an IPv6-sized address), Zipf-ish so heavy-hitter paths see both hits and evictions.
        _items = new byte[Updates][];
        for (int i = 0; i < Updates; i++)
        {
            _items[i] = new byte[16];
            long rank = (long)Math.Floor(Math.Pow(100_000, random.NextDouble()));
            BitConverter.TryWriteBytes(_items[i], rank);
        }
        _hashes = _items.Select(item => _key.Hash(item)).ToArray();

        _hll = Filled(new HyperLogLog(_key), 200_000);
        _hllOther = Filled(new HyperLogLog(_key), 200_000, offset: 100_000);
        _countMin = new CountMinSketch(_key);
        _countMinOther = new CountMinSketch(_key);
        _spaceSaving = new SpaceSavingSummary(_key, 1024, 16);
        _spaceSavingOther = new SpaceSavingSummary(_key, 1024, 16);
        _bloom = BloomFilter.ForCapacity(_key, 10_000, 0.01);
        _spread = new SpreadSketch(_key, 16);
        _spreadOther = new SpreadSketch(_key, 16);
        for (int i = 0; i < 100_000; i++)
        {
            byte[] item = _items[i % Updates];
            _countMin.Add(item, 1500);
            _countMinOther.Add(_items[(i * 7) % Updates], 1500);
            _spaceSaving.Add(item, 1500);
            _spaceSavingOther.Add(_items[(i * 7) % Updates], 1500);
            _spread.Add(item, BitConverter.GetBytes(i));
            _spreadOther.Add(item, BitConverter.GetBytes(i + 50_000));
        }
    }

    private HyperLogLog Filled(HyperLogLog sketch, int count, int offset = 0)
    {
        for (int i = 0; i < count; i++)
            sketch.Add(BitConverter.GetBytes(i + offset));
        return sketch;
    }

    [Benchmark(OperationsPerInvoke = Updates)]
    public void SipHash24()
    {
        ulong sink = 0;
        foreach (byte[] item in _items)
            sink ^= _key.Hash(item);
        GC.KeepAlive(sink);
    }

    [Benchmark(OperationsPerInvoke = Updates)]
    public void HyperLogLogUpdate()
    {
        foreach (byte[] item in _items)
            _hll.Add(item);
    }

    [Benchmark(OperationsPerInvoke = Updates)]
    public void HyperLogLogUpdatePrehashed()
    {
        foreach (ulong hash in _hashes)
            _hll.AddHash(hash);
    }

    [Benchmark(OperationsPerInvoke = Updates)]
    public void CountMinUpdate()
    {
        foreach (byte[] item in _items)
            _countMin.Add(item, 1500);
    }

    [Benchmark(OperationsPerInvoke = Updates)]
    public void CountMinUpdatePrehashed()
    {
        foreach (ulong hash in _hashes)
            _countMin.AddHash(hash, 1500);
    }

    [Benchmark(OperationsPerInvoke = Updates)]
    public void SpaceSavingUpdate()
    {
        foreach (byte[] item in _items)
            _spaceSaving.Add(item, 1500);
    }

    [Benchmark(OperationsPerInvoke = Updates)]
    public void BloomUpdate()
    {
        foreach (byte[] item in _items)
            _bloom.Add(item);
    }

    [Benchmark(OperationsPerInvoke = Updates)]
    public void SpreadUpdate()
    {
        for (int i = 0; i < _items.Length; i++)
            _spread.Add(_items[i], _items[(i + 1) & (Updates - 1)]);
    }

    [Benchmark]
    public HyperLogLog HyperLogLogMerge()
    {
        var target = new HyperLogLog(_key);
        target.Merge(_hll);
        target.Merge(_hllOther);
        return target;
    }

    [Benchmark]
    public void CountMinMerge() => _countMin.Merge(_countMinOther);

    [Benchmark]
    public SpaceSavingSummary SpaceSavingMerge()
    {
        var target = SpaceSavingSummary.Deserialize(_spaceSaving.Serialize(), _key);
        target.Merge(_spaceSavingOther);
        return target;
    }

    [Benchmark]
    public void SpreadMerge() => _spread.Merge(_spreadOther);

    [Benchmark]
    public byte[] HyperLogLogSerialize() => _hll.Serialize();

    [Benchmark]
    public HyperLogLog HyperLogLogDeserialize() => HyperLogLog.Deserialize(_hllSerialized ??= _hll.Serialize(), _key);

    [Benchmark]
    public byte[] CountMinSerialize() => _countMin.Serialize();

    [Benchmark]
    public byte[] SpaceSavingSerialize() => _spaceSaving.Serialize();

    [Benchmark]
    public byte[] SpreadSerialize() => _spread.Serialize();

    private byte[]? _hllSerialized;
}
