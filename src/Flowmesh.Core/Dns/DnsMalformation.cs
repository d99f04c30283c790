namespace Flowmesh.Core.Dns;

/// <summary>Why a DNS message, or part of one, could not be read (counted per reason by <see cref="DnsTrafficMonitor"/>).</summary>
public enum DnsMalformation : byte
{
    None = 0,

    /// <summary>Fewer than the 12 bytes of the header.</summary>
    TruncatedHeader,

    /// <summary>QDCOUNT is 0: nothing says what was asked, so the message cannot be matched or named.</summary>
    NoQuestion,

    /// <summary>A name runs past the end of the message.</summary>
    TruncatedName,

    /// <summary>A name longer than the 255 bytes RFC 1035 allows (after decompression).</summary>
    NameTooLong,

    /// <summary>A label with the reserved 0x40 or 0x80 type bits (EDNS extended labels were never deployed).</summary>
    ReservedLabelType,

    /// <summary>A compression pointer past the end of the message.</summary>
    PointerOutOfRange,

    /// <summary>
    /// A compression pointer that does not point before the name bytes it came from: it could loop (a pointer to
    /// itself, or two pointing at each other). Real encoders only point backwards, so this rejects no real message.
    /// </summary>
    CompressionLoop,

    /// <summary>The question's type and class are cut off.</summary>
    TruncatedQuestion,

    /// <summary>An answer record's fixed fields or data run past the end of the message.</summary>
    TruncatedRecord,

    /// <summary>An A record whose data is not 4 bytes, or an AAAA record not 16.</summary>
    BadAddressLength,

    /// <summary>TCP: the 2-byte length prefix says the message is shorter than a DNS header.</summary>
    BadTcpLength,
}
