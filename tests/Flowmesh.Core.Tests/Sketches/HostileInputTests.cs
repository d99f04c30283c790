using System.Buffers.Binary;
using Flowmesh.Core.Sketches;

namespace Flowmesh.Core.Tests.Sketches;

/// <summary>
/// Every deserializer against truncated, extended, bit-flipped, random and forged input: the only acceptable
/// outcomes are a valid sketch or a <see cref="SketchFormatException"/>; never another exception, never a hang,
/// never an allocation out of proportion to the input.
/// </summary>
public sealed class HostileInputTests
{
    public static TheoryData<string> Kinds => new() { "hll-sparse", "hll-dense", "count-min", "space-saving", "bloom", "spread" };

    private static (byte[] Bytes, Func<byte[], object> Read) Sample(string kind)
    {
        SketchHashKey key = TestKeys.Primary;
        switch (kind)
        {
            case "hll-sparse":
            {
                var sketch = new HyperLogLog(key, 12);
                for (int i = 0; i < 40; i++)
                    sketch.Add(TestKeys.Item(i));
                return (sketch.Serialize(), bytes => HyperLogLog.Deserialize(bytes, key));
            }
            case "hll-dense":
            {
                var sketch = new HyperLogLog(key, 6);
                for (int i = 0; i < 1000; i++)
                    sketch.Add(TestKeys.Item(i));
                return (sketch.Serialize(), bytes => HyperLogLog.Deserialize(bytes, key));
            }
            case "count-min":
            {
                var sketch = new CountMinSketch(key, 16, 3);
                for (int i = 0; i < 100; i++)
                    sketch.Add(TestKeys.Item(i % 17), 100);
                return (sketch.Serialize(), bytes => CountMinSketch.Deserialize(bytes, key));
            }
            case "space-saving":
            {
                var sketch = new SpaceSavingSummary(key, 6, 4);
                for (int i = 0; i < 100; i++)
                    sketch.Add(BitConverter.GetBytes(i % 13), (ulong)(i % 5 + 1));
                return (sketch.Serialize(), bytes => SpaceSavingSummary.Deserialize(bytes, key));
            }
            case "bloom":
            {
                var sketch = new BloomFilter(key, 256, 3);
                for (int i = 0; i < 20; i++)
                    sketch.Add(TestKeys.Item(i));
                return (sketch.Serialize(), bytes => BloomFilter.Deserialize(bytes, key));
            }
            case "spread":
            {
                var sketch = new SpreadSketch(key, 4, depth: 2, width: 4, registersPerBucket: 16);
                for (int i = 0; i < 200; i++)
                    sketch.Add(BitConverter.GetBytes(i % 9), TestKeys.Item(i));
                return (sketch.Serialize(), bytes => SpreadSketch.Deserialize(bytes, key));
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(kind));
        }
    }

    private static void AssertRejected(Func<byte[], object> read, byte[] bytes, string what)
    {
        try
        {
            read(bytes);
        }
        catch (SketchFormatException)
        {
            return;
        }
        catch (Exception e)
        {
            Assert.Fail($"{what}: {e.GetType().Name} instead of SketchFormatException: {e.Message}");
        }
        Assert.Fail($"{what}: accepted");
    }

    /// <summary>Either rejected cleanly, or a sketch that then serializes without trouble.</summary>
    private static void AssertRejectedOrValid(Func<byte[], object> read, byte[] bytes, string what)
    {
        object sketch;
        try
        {
            sketch = read(bytes);
        }
        catch (SketchFormatException)
        {
            return;
        }
        catch (Exception e)
        {
            Assert.Fail($"{what}: {e.GetType().Name} instead of SketchFormatException: {e.Message}");
            return;
        }
        switch (sketch)
        {
            case HyperLogLog h: Assert.True(h.Estimate() >= 0); h.Serialize(); break;
            case CountMinSketch c: c.Serialize(); break;
            case SpaceSavingSummary s: s.Items(); s.Serialize(); break;
            case BloomFilter b: b.Serialize(); break;
            case SpreadSketch p: p.KeysAtOrAbove(0); p.Serialize(); break;
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void ValidSampleRoundTrips(string kind)
    {
        var (bytes, read) = Sample(kind);
        read(bytes);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void EveryTruncationIsRejected(string kind)
    {
        var (bytes, read) = Sample(kind);
        for (int length = 0; length < bytes.Length; length++)
        {
            AssertRejected(read, bytes[..length], $"truncated to {length}");
            // Truncated but with a CRC that matches what is left: the declared sizes must catch it.
            if (length >= 20)
            {
                byte[] resealed = bytes[..length];
                SerializedSketches.FixCrc(resealed);
                AssertRejected(read, resealed, $"truncated to {length} with a valid CRC");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void TrailingBytesAreRejected(string kind)
    {
        var (bytes, read) = Sample(kind);
        foreach (int extra in new[] { 1, 4, 8, 1000 })
        {
            byte[] longer = new byte[bytes.Length + extra];
            bytes.CopyTo(longer, 0);
            AssertRejected(read, longer, $"{extra} bytes appended");
            SerializedSketches.FixCrc(longer);
            AssertRejected(read, longer, $"{extra} bytes appended with a valid CRC");
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void EverySingleBitFlipIsRejected(string kind)
    {
        var (bytes, read) = Sample(kind);
        for (int bit = 0; bit < bytes.Length * 8; bit++)
        {
            byte[] flipped = (byte[])bytes.Clone();
            flipped[bit / 8] ^= (byte)(1 << (bit % 8));
            AssertRejected(read, flipped, $"bit {bit} flipped");
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void ResealedCorruptionIsRejectedOrYieldsAValidSketch(string kind)
    {
        // With the CRC recomputed, corruption reaches the semantic checks (what a buggy or malicious peer could send).
        var (bytes, read) = Sample(kind);
        var random = new Random(1234);
        for (int i = 0; i < 3000; i++)
        {
            byte[] mutated = (byte[])bytes.Clone();
            int changes = 1 + random.Next(4);
            for (int c = 0; c < changes; c++)
                mutated[16 + random.Next(mutated.Length - 20)] = (byte)random.Next(256);
            SerializedSketches.FixCrc(mutated);
            AssertRejectedOrValid(read, mutated, $"mutation {i}");
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void RandomBytesAreRejected(string kind)
    {
        var (bytes, read) = Sample(kind);
        var random = new Random(99);
        for (int i = 0; i < 5000; i++)
        {
            byte[] noise = new byte[random.Next(0, bytes.Length * 2)];
            random.NextBytes(noise);
            AssertRejected(read, noise, $"random buffer {i}");
            // Random body behind a genuine header and a valid CRC.
            if (noise.Length >= 20)
            {
                bytes.AsSpan(0, 16).CopyTo(noise);
                SerializedSketches.FixCrc(noise);
                AssertRejectedOrValid(read, noise, $"random body {i}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void WrongVersionKindMagicOrKeyIsRejected(string kind)
    {
        var (bytes, read) = Sample(kind);
        byte[] version = (byte[])bytes.Clone();
        version[5] = 2;
        SerializedSketches.FixCrc(version);
        var error = Assert.Throws<SketchFormatException>(() => read(version));
        Assert.Contains("version 2", error.Message);

        byte[] otherKind = (byte[])bytes.Clone();
        otherKind[4] = (byte)(otherKind[4] % 5 + 1);
        SerializedSketches.FixCrc(otherKind);
        Assert.Throws<SketchFormatException>(() => read(otherKind));

        byte[] magic = (byte[])bytes.Clone();
        magic[0] = (byte)'X';
        SerializedSketches.FixCrc(magic);
        Assert.Throws<SketchFormatException>(() => read(magic));

        byte[] flags = (byte[])bytes.Clone();
        flags[7] = 0x80;
        SerializedSketches.FixCrc(flags);
        Assert.Throws<SketchFormatException>(() => read(flags));
    }

    [Fact]
    public void SketchesFromAnotherKeyAreRejected()
    {
        var sketch = new CountMinSketch(TestKeys.Primary, 16, 2);
        var error = Assert.Throws<SketchFormatException>(() => CountMinSketch.Deserialize(sketch.Serialize(), TestKeys.Other));
        Assert.Contains("another key", error.Message);
    }

    public static TheoryData<string> HugeDeclarations => new()
    {
        "hll-sparse-count", "count-min-dimensions", "space-saving-count", "space-saving-capacity", "bloom-bits", "spread-dimensions",
    };

    /// <summary>Short inputs that declare enormous contents: rejected (or accepted) without allocating for the claim.</summary>
    [Theory]
    [MemberData(nameof(HugeDeclarations))]
    public void HugeDeclaredSizesDoNotAllocate(string kind)
    {
        SketchHashKey key = TestKeys.Primary;
        byte[] input;
        Func<byte[], object> read;
        bool mayBeValid = false;
        switch (kind)
        {
            case "hll-sparse-count":
                input = Forge(SketchKind.HyperLogLog, 0, w => { w.Add(18); w.Add(26); w.AddRange(LittleEndian(uint.MaxValue)); });
                read = b => HyperLogLog.Deserialize(b, key);
                break;
            case "count-min-dimensions":
                input = Forge(SketchKind.CountMin, 1, w => { w.AddRange(LittleEndian((uint)CountMinSketch.MaxWidth)); w.Add(4); w.AddRange(new byte[8]); });
                read = b => CountMinSketch.Deserialize(b, key);
                break;
            case "space-saving-count":
                input = Forge(SketchKind.SpaceSaving, 0, w => { w.AddRange(LittleEndian(65536u)); w.AddRange(BitConverter.GetBytes((ushort)64)); w.AddRange(LittleEndian(65536u)); w.AddRange(new byte[16]); });
                read = b => SpaceSavingSummary.Deserialize(b, key);
                break;
            case "space-saving-capacity":
                // Valid: an empty summary with room for 65,536 keys. Storage must follow the content, not the claim.
                input = Forge(SketchKind.SpaceSaving, 0, w => { w.AddRange(LittleEndian(65536u)); w.AddRange(BitConverter.GetBytes((ushort)64)); w.AddRange(LittleEndian(0u)); w.AddRange(new byte[16]); });
                read = b => SpaceSavingSummary.Deserialize(b, key);
                mayBeValid = true;
                break;
            case "bloom-bits":
                input = Forge(SketchKind.Bloom, 0, w => { w.AddRange(LittleEndian((uint)BloomFilter.MaxBits)); w.Add(7); });
                read = b => BloomFilter.Deserialize(b, key);
                break;
            case "spread-dimensions":
                input = Forge(SketchKind.Spread, 0, w => { w.Add(8); w.AddRange(BitConverter.GetBytes((ushort)16384)); w.AddRange(BitConverter.GetBytes((ushort)1024)); w.Add(64); });
                read = b => SpreadSketch.Deserialize(b, key);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind));
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        if (mayBeValid)
            AssertRejectedOrValid(read, input, kind);
        else
            AssertRejected(read, input, kind);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 64 * 1024, $"{kind}: {allocated} bytes allocated for a {input.Length}-byte input");
    }

    private static byte[] LittleEndian(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        return bytes;
    }

    private static byte[] Forge(SketchKind kind, ushort flags, Action<List<byte>> body)
    {
        var bytes = new List<byte>("FMSK"u8.ToArray()) { (byte)kind, 1 };
        bytes.AddRange(BitConverter.GetBytes(flags));
        bytes.AddRange(BitConverter.GetBytes(TestKeys.Primary.Fingerprint));
        body(bytes);
        bytes.AddRange(new byte[4]);
        byte[] result = bytes.ToArray();
        SerializedSketches.FixCrc(result);
        return result;
    }
}
