using System.Buffers.Binary;
using System.Text;
using Flowmesh.Capture.HostContext.Tcp;

namespace Flowmesh.Capture.Tests.HostContext;

/// <summary>The BTF enum reader on a blob built here by the format's rules, and on truncated, random and hostile input.</summary>
public sealed class BtfEnumReaderTests
{
    /// <summary>An INT, a STRUCT with two members, then ENUM skb_drop_reason {NOT_DROPPED_YET=0, SKB_DROP_REASON_NETFILTER_DROP=77}.</summary>
    private static byte[] Blob(uint enumMemberCount = 2, uint enumNameOffset = 0)
    {
        var strings = new MemoryStream();
        uint Add(string text)
        {
            uint at = (uint)strings.Length;
            strings.Write(Encoding.ASCII.GetBytes(text + "\0"));
            return at;
        }
        Add("");
        uint intName = Add("int"), structName = Add("pair"), a = Add("a"), b = Add("b");
        uint enumName = Add("skb_drop_reason"), first = Add("SKB_NOT_DROPPED_YET"), second = Add("SKB_DROP_REASON_NETFILTER_DROP");
        var types = new MemoryStream();
        void U32(uint value)
        {
            Span<byte> bytes = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
            types.Write(bytes);
        }
        U32(intName); U32(1u << 24); U32(4); U32(32);                                    // INT, 4 extra bytes
        U32(structName); U32((4u << 24) | 2); U32(8); U32(a); U32(1); U32(0); U32(b); U32(1); U32(32); // STRUCT, 2 members
        U32(enumNameOffset == 0 ? enumName : enumNameOffset); U32((6u << 24) | enumMemberCount); U32(4);
        U32(first); U32(0); U32(second); U32(77);                                        // ENUM, 2 members

        byte[] blob = new byte[24 + types.Length + strings.Length];
        BinaryPrimitives.WriteUInt16LittleEndian(blob, 0xEB9F);
        blob[2] = 1;
        BinaryPrimitives.WriteUInt32LittleEndian(blob.AsSpan(4), 24);
        BinaryPrimitives.WriteUInt32LittleEndian(blob.AsSpan(8), 0);
        BinaryPrimitives.WriteUInt32LittleEndian(blob.AsSpan(12), (uint)types.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(blob.AsSpan(16), (uint)types.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(blob.AsSpan(20), (uint)strings.Length);
        types.ToArray().CopyTo(blob, 24);
        strings.ToArray().CopyTo(blob, 24 + types.Length);
        return blob;
    }

    [Fact]
    public void Finds_the_enum_after_other_kinds_and_strips_the_prefix_in_the_names()
    {
        var members = BtfEnumReader.Find(Blob(), "skb_drop_reason", out string? error);
        Assert.Null(error);
        Assert.Equal([new("SKB_NOT_DROPPED_YET", 0), new("SKB_DROP_REASON_NETFILTER_DROP", 77)], members);
        DropReasonNames names = DropReasonNames.FromBtf(Blob());
        Assert.Equal("NETFILTER_DROP", names.NameOf(77));
        Assert.Equal("reason 5", names.NameOf(5));
    }

    [Fact]
    public void Every_truncation_is_an_error_not_an_exception()
    {
        byte[] blob = Blob();
        for (int length = 0; length < blob.Length; length++)
        {
            var members = BtfEnumReader.Find(blob.AsSpan(0, length), "skb_drop_reason", out string? error);
            Assert.Null(members);
            Assert.NotNull(error);
        }
    }

    [Fact]
    public void Random_and_hostile_blobs_fail_with_a_message()
    {
        var random = new Random(17);
        for (int i = 0; i < 2000; i++)
        {
            byte[] blob = Blob();
            // Flip a few bytes anywhere, header included.
            for (int flips = random.Next(1, 6); flips > 0; flips--) blob[random.Next(blob.Length)] = (byte)random.Next(256);
            // Damaged: whatever it answers, it answers (no exception, no hang) with at most the members the blob can hold.
            var damaged = BtfEnumReader.Find(blob, "skb_drop_reason", out string? damagedError);
            Assert.True(damaged is not null ^ damagedError is not null);
            Assert.True(damaged is null || damaged.Count <= blob.Length / 8);
            byte[] noise = new byte[random.Next(0, 512)];
            random.NextBytes(noise);
            if (noise.Length >= 2) BinaryPrimitives.WriteUInt16LittleEndian(noise, 0xEB9F);
            var fromNoise = BtfEnumReader.Find(noise, "skb_drop_reason", out string? noiseError);
            Assert.True(fromNoise is not null ^ noiseError is not null);
        }
        // A member count that claims far more members than the blob holds.
        Assert.Null(BtfEnumReader.Find(Blob(enumMemberCount: 0xFFFF), "skb_drop_reason", out string? tooMany));
        Assert.Contains("runs past", tooMany, StringComparison.Ordinal);
        // A name offset outside the string section: no match, no exception.
        Assert.Null(BtfEnumReader.Find(Blob(enumNameOffset: 0xFFFF_FFF0), "skb_drop_reason", out string? badName));
        Assert.Contains("no enum", badName, StringComparison.Ordinal);
        DropReasonNames names = DropReasonNames.FromBtf(new byte[] { 1, 2, 3 });
        Assert.NotNull(names.Problem);
        Assert.Equal("reason 77", names.NameOf(77));
    }
}
