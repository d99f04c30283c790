namespace Flowmesh.Core.Dns;

/// <summary>
/// Reads a possibly compressed domain name (RFC 1035 4.1.4) without allocating. Every loop is bounded: a name ends
/// after 255 bytes, and each compression pointer must point before the bytes the previous jump landed on, so pointers
/// strictly move backwards and cannot loop.
/// </summary>
public static class DnsNameReader
{
    /// <summary>RFC 1035 2.3.4: 255 bytes of wire form, length bytes included.</summary>
    public const int MaxNameBytes = 255;

    /// <summary>The longest presentation form: every byte escaped as \DDD.</summary>
    public const int MaxPresentationChars = MaxNameBytes * 4;

    /// <summary>
    /// Reads the name at <paramref name="offset"/> in <paramref name="message"/> into <paramref name="text"/> (presentation
    /// form, as dig prints it without the final dot; the root is "."), sets <paramref name="next"/> to the first byte after
    /// the name where it sits (after its first pointer, if any) and returns the characters written, or a malformation.
    /// </summary>
    /// <param name="text">At least <see cref="MaxPresentationChars"/> long, or empty to only skip the name.</param>
    public static DnsMalformation Read(ReadOnlySpan<byte> message, int offset, Span<char> text, out int next, out int written)
    {
        next = offset;
        written = 0;
        bool write = !text.IsEmpty;
        int position = offset;
        int wireBytes = 1; // the root's zero length byte
        int lowestJump = offset; // a pointer must land before every byte of the name read so far
        bool jumped = false;
        while (true)
        {
            if (position >= message.Length) return DnsMalformation.TruncatedName;
            byte length = message[position];
            switch (length & 0xC0)
            {
                case 0xC0:
                    if (position + 1 >= message.Length) return DnsMalformation.TruncatedName;
                    int target = ((length & 0x3F) << 8) | message[position + 1];
                    if (!jumped) next = position + 2;
                    jumped = true;
                    if (target >= message.Length) return DnsMalformation.PointerOutOfRange;
                    if (target >= lowestJump) return DnsMalformation.CompressionLoop;
                    lowestJump = target;
                    position = target;
                    continue;
                case 0x40 or 0x80:
                    return DnsMalformation.ReservedLabelType;
            }
            if (length == 0)
            {
                if (!jumped) next = position + 1;
                if (write && written == 0) text[written++] = '.';
                return DnsMalformation.None;
            }
            wireBytes += length + 1;
            if (wireBytes > MaxNameBytes) return DnsMalformation.NameTooLong;
            if (position + 1 + length > message.Length) return DnsMalformation.TruncatedName;
            if (write)
            {
                if (written > 0) text[written++] = '.';
                foreach (byte b in message.Slice(position + 1, length)) written += Escape(b, text[written..]);
            }
            position += 1 + length;
        }
    }

    /// <summary>Skips the name at <paramref name="offset"/>; see <see cref="Read"/>.</summary>
    public static DnsMalformation Skip(ReadOnlySpan<byte> message, int offset, out int next) => Read(message, offset, [], out next, out _);

    /// <summary>dig's escaping: '.' and '\' get a backslash, bytes outside printable ASCII become \DDD.</summary>
    private static int Escape(byte b, Span<char> text)
    {
        if (b is (byte)'.' or (byte)'\\' or (byte)'"' or (byte)'(' or (byte)')' or (byte)';' or (byte)'@' or (byte)'$')
        {
            text[0] = '\\';
            text[1] = (char)b;
            return 2;
        }
        if (b is > 0x20 and < 0x7F)
        {
            text[0] = (char)b;
            return 1;
        }
        text[0] = '\\';
        text[1] = (char)('0' + b / 100);
        text[2] = (char)('0' + b / 10 % 10);
        text[3] = (char)('0' + b % 10);
        return 4;
    }
}
