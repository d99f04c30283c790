using System.Text;

namespace Flowmesh.Core.Epochs;

/// <summary>
/// The texts behind the 64-bit identities a host-context section keys programs and names by
/// (<see cref="HostContext.HostContextPrivacy.Identity"/>). An identity without a text was hashed on purpose (privacy)
/// and is shown as its hashed text. Layout: u16 n, then n × (u64 identity, strictly increasing; u8 length 1..255; UTF-8).
/// </summary>
internal static class ContextLabels
{
    public const int MaxLabelBytes = 255;

    /// <summary>The text cut to at most <see cref="MaxLabelBytes"/> bytes of UTF-8 at a character boundary.</summary>
    public static string Clip(string text)
    {
        if (Encoding.UTF8.GetByteCount(text) <= MaxLabelBytes) return text;
        var builder = new StringBuilder();
        int bytes = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            if (bytes + rune.Utf8SequenceLength > MaxLabelBytes) break;
            bytes += rune.Utf8SequenceLength;
            builder.Append(rune.ToString());
        }
        return builder.ToString();
    }

    public static void Write(EpochRecordWriter w, IReadOnlyDictionary<ulong, string> labels, Func<ulong, bool> keep)
    {
        var kept = labels.Where(l => keep(l.Key)).OrderBy(l => l.Key).ToList();
        w.WriteUInt16((ushort)kept.Count);
        foreach (var (identity, text) in kept)
        {
            byte[] bytes = Encoding.UTF8.GetBytes(text);
            w.WriteUInt64(identity);
            w.WriteByte((byte)bytes.Length);
            w.WriteBytes(bytes);
        }
    }

    public static void Read(ref EpochRecordReader r, Dictionary<ulong, string> labels, int max, string what)
    {
        int n = r.ReadUInt16();
        if (n > max) throw r.Invalid($"{n} {what} labels, more than {max}");
        ulong previous = 0;
        for (int i = 0; i < n; i++)
        {
            ulong identity = r.ReadUInt64();
            if (i > 0 && identity <= previous) throw r.Invalid($"{what} labels are not in increasing order");
            previous = identity;
            int length = r.ReadByte();
            if (length == 0) throw r.Invalid($"an empty {what} label");
            labels[identity] = Text(ref r, length, what);
        }
    }

    /// <summary>Strict UTF-8 of <paramref name="length"/> bytes.</summary>
    public static string Text(ref EpochRecordReader r, int length, string what)
    {
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(r.ReadBytes(length));
        }
        catch (DecoderFallbackException)
        {
            throw r.Invalid($"a {what} label is not valid UTF-8");
        }
    }

    public static void IdentityBytes(Span<byte> destination, ulong identity) => System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(destination, identity);
}
