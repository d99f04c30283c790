using System.Buffers.Binary;
using System.Text;

namespace Flowmesh.Capture.HostContext.Tcp;

/// <summary>
/// Finds one enum by name in a BTF blob (the kernel's own type description, /sys/kernel/btf/vmlinux) and returns its
/// values. A decoder of input we do not control: every offset and count is checked against the blob, a damaged or
/// foreign blob yields an error message instead of an exception, and the walk is bounded by the blob's length.
/// Format: Documentation/bpf/btf.rst.
/// </summary>
internal static class BtfEnumReader
{
    private const ushort Magic = 0xEB9F;
    private const int HeaderLength = 24;
    private const int TypeHeaderLength = 12;

    // BTF_KIND_* numbers and the bytes each kind appends after its 12-byte header (per member where vlen counts).
    private const int KindInt = 1, KindArray = 3, KindStruct = 4, KindUnion = 5, KindEnum = 6, KindFunctionPrototype = 13,
        KindVariable = 14, KindDataSection = 15, KindDeclarationTag = 17, KindEnum64 = 19, KindMax = 19;

    /// <summary>The enum's members (name, value), or null with <paramref name="error"/> saying why.</summary>
    public static IReadOnlyList<KeyValuePair<string, long>>? Find(ReadOnlySpan<byte> btf, string enumName, out string? error)
    {
        if (btf.Length < HeaderLength) return Fail("shorter than a BTF header", out error);
        if (BinaryPrimitives.ReadUInt16LittleEndian(btf) != Magic) return Fail("not little-endian BTF (bad magic)", out error);
        uint headerLength = BinaryPrimitives.ReadUInt32LittleEndian(btf[4..]);
        uint typeOffset = BinaryPrimitives.ReadUInt32LittleEndian(btf[8..]);
        uint typeLength = BinaryPrimitives.ReadUInt32LittleEndian(btf[12..]);
        uint stringOffset = BinaryPrimitives.ReadUInt32LittleEndian(btf[16..]);
        uint stringLength = BinaryPrimitives.ReadUInt32LittleEndian(btf[20..]);
        if (headerLength < HeaderLength || headerLength > (ulong)btf.Length)
            return Fail($"header length {headerLength} does not fit", out error);
        ReadOnlySpan<byte> body = btf[(int)headerLength..];
        if ((ulong)typeOffset + typeLength > (ulong)body.Length || (ulong)stringOffset + stringLength > (ulong)body.Length)
            return Fail("type or string section outside the blob", out error);
        ReadOnlySpan<byte> types = body.Slice((int)typeOffset, (int)typeLength);
        ReadOnlySpan<byte> strings = body.Slice((int)stringOffset, (int)stringLength);
        byte[] wanted = Encoding.UTF8.GetBytes(enumName);

        int at = 0;
        while (at + TypeHeaderLength <= types.Length)
        {
            uint nameOffset = BinaryPrimitives.ReadUInt32LittleEndian(types[at..]);
            uint info = BinaryPrimitives.ReadUInt32LittleEndian(types[(at + 4)..]);
            int kind = (int)((info >> 24) & 0x1F);
            int memberCount = (int)(info & 0xFFFF);
            int memberSize = MemberSize(kind, out int extra);
            if (kind == 0 || kind > KindMax || memberSize < 0) return Fail($"unknown BTF kind {kind} at type byte {at}", out error);
            long next = at + TypeHeaderLength + extra + (long)memberCount * memberSize;
            if (next > types.Length) return Fail($"type at byte {at} runs past the type section", out error);
            if ((kind == KindEnum || kind == KindEnum64) && Name(strings, nameOffset).SequenceEqual(wanted))
            {
                bool signed = (info & 0x8000_0000) != 0; // kind_flag: signed values
                var members = new List<KeyValuePair<string, long>>(memberCount);
                for (int i = 0; i < memberCount; i++)
                {
                    ReadOnlySpan<byte> member = types.Slice(at + TypeHeaderLength + i * memberSize, memberSize);
                    string name = Encoding.UTF8.GetString(Name(strings, BinaryPrimitives.ReadUInt32LittleEndian(member)));
                    uint low = BinaryPrimitives.ReadUInt32LittleEndian(member[4..]);
                    long value = kind == KindEnum
                        ? (signed ? (int)low : low)
                        : (long)(((ulong)BinaryPrimitives.ReadUInt32LittleEndian(member[8..]) << 32) | low);
                    members.Add(new(name, value));
                }
                error = null;
                return members;
            }
            at = (int)next;
        }
        return Fail($"no enum {enumName}", out error);
    }

    /// <summary>Bytes per member (vlen) and fixed extra bytes of a kind; -1 for kinds this reader does not know.</summary>
    private static int MemberSize(int kind, out int extra)
    {
        extra = kind is KindInt or KindVariable or KindDeclarationTag ? 4 : kind == KindArray ? 12 : 0;
        return kind switch
        {
            KindStruct or KindUnion or KindDataSection or KindEnum64 => 12,
            KindEnum or KindFunctionPrototype => 8,
            >= 1 and <= KindMax => 0,
            _ => -1,
        };
    }

    /// <summary>The NUL-terminated name at <paramref name="offset"/>; empty when the offset is outside the strings.</summary>
    private static ReadOnlySpan<byte> Name(ReadOnlySpan<byte> strings, uint offset)
    {
        if (offset >= (uint)strings.Length) return [];
        ReadOnlySpan<byte> rest = strings[(int)offset..];
        int end = rest.IndexOf((byte)0);
        return end < 0 ? rest : rest[..end];
    }

    private static IReadOnlyList<KeyValuePair<string, long>>? Fail(string message, out string? error)
    {
        error = message;
        return null;
    }
}
