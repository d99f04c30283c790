using System.Buffers.Binary;
using Flowmesh.Core.Epochs;
using Flowmesh.Core.Sketches;
using static Flowmesh.Core.Tests.Epochs.EpochTestTraffic;

namespace Flowmesh.Core.Tests.Epochs;

/// <summary>
/// The record decoder on hostile input: the only acceptable outcomes are <see cref="EpochRecordFormatException"/>
/// or a valid record that re-encodes to the same bytes.
/// </summary>
[Collection(nameof(RunsAloneCollection))]
public sealed class EpochRecordFormatTests
{
    private static readonly Lazy<byte[]> Sample = new(() => Summarize(Generate(seed: 40, seconds: 10), TimeSpan.FromSeconds(10))[0].Encode());

    [Fact]
    public void RoundTripIsByteIdenticalAndCanonical()
    {
        byte[] bytes = Sample.Value;
        var record = EpochRecord.Decode(bytes, Key);
        Assert.Equal(bytes, record.Encode());
        Assert.Equal(bytes, EpochRecord.FromContents(record.Id, record.Contents).Encode());
        Assert.Equal("FMER"u8.ToArray(), bytes[..4]);
        Assert.Equal(bytes.Length, (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(16)));
    }

    [Fact]
    public void EveryTruncationAndTrailingBytesAreRejected()
    {
        byte[] bytes = Sample.Value;
        for (int length = 0; length < bytes.Length; length += length < 400 ? 1 : 97)
            Reject(bytes[..length]);
        Reject([.. bytes, 0]);
        // Truncated but resealed (length field and CRC fixed up): the section structure must catch it.
        for (int length = 24; length < bytes.Length; length += 131)
            Reject(Reseal(bytes[..length]));
    }

    [Fact]
    public void BitFlipsAreDetected()
    {
        byte[] bytes = Sample.Value;
        var random = new Random(41);
        // Every bit of the fixed part, then a sample across the sketch sections.
        var positions = Enumerable.Range(0, 300 * 8).Concat(Enumerable.Range(0, 3000).Select(_ => random.Next(bytes.Length * 8)));
        foreach (int bit in positions)
        {
            byte[] copy = (byte[])bytes.Clone();
            copy[bit / 8] ^= (byte)(1 << (bit % 8));
            Reject(copy);
        }
    }

    [Fact]
    public void WrongVersionKeyMagicFlagsAndSizeAreRejectedWithClearMessages()
    {
        byte[] bytes = Sample.Value;
        Assert.Contains("version 2", Reject(Reseal(With(bytes, 4, 2))).Message);
        Assert.Contains("another hash key", Assert.Throws<EpochRecordFormatException>(() => EpochRecord.Decode(bytes, new SketchHashKey(new byte[16]))).Message);
        Assert.Contains("magic", Reject(Reseal(With(bytes, 0, (byte)'X'))).Message);
        Assert.Contains("flags", Reject(Reseal(With(bytes, 5, 2))).Message);
        Assert.Contains("truncated", Reject(Reseal(With(bytes, 5, 1))).Message); // flag 1 promises an extension block
        Assert.Contains("exceeds", Reject(new byte[EpochRecord.MaxEncodedLength + 1]).Message);
        Assert.Contains("CRC", Reject(With(bytes, 100, (byte)(bytes[100] ^ 0x40))).Message);
    }

    [Fact]
    public void ResealedMutationsAndRandomInputNeverEscapeAsOtherExceptions()
    {
        byte[] bytes = Sample.Value;
        var random = new Random(42);
        for (int i = 0; i < 2000; i++)
        {
            byte[] copy = (byte[])bytes.Clone();
            int flips = 1 + random.Next(4);
            for (int f = 0; f < flips; f++)
            {
                // Mostly the header and counters, where a resealed change is not caught by a sketch's own CRC.
                int position = random.Next(3) == 0 ? random.Next(20, bytes.Length - 4) : random.Next(20, 300);
                copy[position] = (byte)random.Next(256);
            }
            AcceptOrReject(Reseal(copy));
        }
        for (int i = 0; i < 2000; i++)
        {
            byte[] noise = new byte[random.Next(0, 2000)];
            random.NextBytes(noise);
            if (noise.Length >= 4 && random.Next(2) == 0) "FMER"u8.CopyTo(noise);
            if (noise.Length >= 5) noise[4] = 1;
            AcceptOrReject(noise.Length >= 24 ? Reseal(noise) : noise);
        }
    }

    [Fact]
    public void HugeDeclaredSectionLengthsAllocateNothingLarge()
    {
        byte[] bytes = Sample.Value;
        // The first section length sits right after header (20), origin (1 + 6), id (16), totals (96), health (40).
        int firstSection = 20 + 1 + "node-a".Length + 16 + 96 + 40;
        // Section: u8 encoding, u32 sketch length, [u32 stored length if deflated], bytes.
        Assert.Equal(BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(firstSection + 1)), (uint)EpochRecord.Decode(bytes, Key).Contents.Top[0].SerializedSize);
        foreach (int field in bytes[firstSection] == 1 ? new[] { 1, 5 } : [1])
        {
            byte[] copy = (byte[])bytes.Clone();
            BinaryPrimitives.WriteUInt32LittleEndian(copy.AsSpan(firstSection + field), int.MaxValue);
            long before = GC.GetAllocatedBytesForCurrentThread();
            var e = Reject(Reseal(copy));
            Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 4 * bytes.Length);
            Assert.Contains("declares", e.Message);
        }
    }

    [Fact]
    public void SectionsInflatingToOtherThanTheirDeclaredLengthAreRejected()
    {
        byte[] bytes = Sample.Value;
        int firstSection = 20 + 1 + "node-a".Length + 16 + 96 + 40;
        Assert.Equal(1, bytes[firstSection]); // a sparse top-talker section is stored deflated
        uint declared = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(firstSection + 1));
        foreach (uint wrong in new[] { declared - 1, declared + 1 })
        {
            byte[] copy = (byte[])bytes.Clone();
            BinaryPrimitives.WriteUInt32LittleEndian(copy.AsSpan(firstSection + 1), wrong);
            Assert.Contains("inflates", Reject(Reseal(copy)).Message);
        }
        byte[] unknown = With(bytes, firstSection, 7);
        Assert.Contains("unknown encoding", Reject(Reseal(unknown)).Message);
    }

    private static byte[] With(byte[] bytes, int index, byte value)
    {
        byte[] copy = (byte[])bytes.Clone();
        copy[index] = value;
        return copy;
    }


    private static void AcceptOrReject(byte[] bytes)
    {
        EpochRecord record;
        try
        {
            record = EpochRecord.Decode(bytes, Key);
        }
        catch (EpochRecordFormatException)
        {
            return;
        }
        Assert.Equal(bytes, record.Encode());
        var set = new EpochRecordSet();
        set.Add(record);
        Assert.NotNull(EpochRecordSetTests.Answers(Merge(set.Records)));
    }
}
