using System.Buffers.Binary;
using Flowmesh.Core.Packets;

namespace Flowmesh.Core.Dns;

/// <summary>
/// Decodes a DNS message (RFC 1035 4.1) far enough to say what was asked and what came back: the header, the first
/// question, and the answer section's A, AAAA and CNAME records. Never throws; every way a message is unusable is a
/// <see cref="DnsMalformation"/>. Counts in the header are not trusted: the answer loop ends at the message's end, and
/// each record takes at least 11 bytes, so a hostile count costs no more than the bytes that carry it.
/// </summary>
public static class DnsMessageDecoder
{
    public const int HeaderLength = 12;
    private const int RecordFixedLength = 10; // type, class, TTL, RDLENGTH

    /// <summary>
    /// Decodes <paramref name="data"/> into <paramref name="message"/>. A message whose answers are cut or malformed
    /// returns that malformation but keeps its header, question and the answers before the damage
    /// (<see cref="DnsMessage.QuestionName"/> is set): a capture cut by its snap length still says what was asked and
    /// the response code.
    /// </summary>
    public static DnsMalformation Decode(ReadOnlySpan<byte> data, DnsMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        message.Reset();
        if (data.Length < HeaderLength) return DnsMalformation.TruncatedHeader;
        message.TransactionId = BinaryPrimitives.ReadUInt16BigEndian(data);
        byte flags = data[2];
        message.IsResponse = (flags & 0x80) != 0;
        message.Opcode = (byte)((flags >> 3) & 0x0F);
        message.IsTruncated = (flags & 0x02) != 0;
        message.ResponseCode = (byte)(data[3] & 0x0F);
        message.QuestionCount = BinaryPrimitives.ReadUInt16BigEndian(data[4..]);
        message.AnswerCount = BinaryPrimitives.ReadUInt16BigEndian(data[6..]);
        if (message.QuestionCount == 0) return DnsMalformation.NoQuestion;

        Span<char> text = stackalloc char[DnsNameReader.MaxPresentationChars];
        var failure = DnsNameReader.Read(data, HeaderLength, text, out int offset, out int written);
        if (failure != DnsMalformation.None) return failure;
        if (offset + 4 > data.Length) return DnsMalformation.TruncatedQuestion;
        message.QuestionType = BinaryPrimitives.ReadUInt16BigEndian(data[offset..]);
        message.QuestionClass = BinaryPrimitives.ReadUInt16BigEndian(data[(offset + 2)..]);
        message.QuestionName = new string(text[..written]);
        offset += 4;

        // Further questions (QDCOUNT > 1 is not used in practice) are skipped.
        for (int q = 1; q < message.QuestionCount; q++)
        {
            failure = DnsNameReader.Skip(data, offset, out offset);
            if (failure != DnsMalformation.None) return failure;
            if (offset + 4 > data.Length) return DnsMalformation.TruncatedQuestion;
            offset += 4;
        }

        for (int a = 0; a < message.AnswerCount; a++)
        {
            failure = DnsNameReader.Read(data, offset, text, out offset, out written);
            if (failure != DnsMalformation.None) return failure;
            if (offset + RecordFixedLength > data.Length) return DnsMalformation.TruncatedRecord;
            ushort type = BinaryPrimitives.ReadUInt16BigEndian(data[offset..]);
            uint ttl = BinaryPrimitives.ReadUInt32BigEndian(data[(offset + 4)..]);
            int length = BinaryPrimitives.ReadUInt16BigEndian(data[(offset + 8)..]);
            int rdata = offset + RecordFixedLength;
            if (rdata + length > data.Length) return DnsMalformation.TruncatedRecord;
            offset = rdata + length;
            // RFC 2181 8: a TTL with the top bit set is treated as zero.
            if (ttl > int.MaxValue) ttl = 0;
            // Past the cap the record is still checked and stepped over, but no name is allocated for it.
            bool room = message.Answers.Count < DnsMessage.MaxAnswers;
            switch (type)
            {
                case DnsRecordType.A:
                    if (length != 4) return DnsMalformation.BadAddressLength;
                    if (!room) goto default;
                    Keep(message, new DnsAnswer(new string(text[..written]), type, ttl, IpAddress128.FromIPv4(data.Slice(rdata, 4)), null));
                    break;
                case DnsRecordType.Aaaa:
                    if (length != 16) return DnsMalformation.BadAddressLength;
                    if (!room) goto default;
                    Keep(message, new DnsAnswer(new string(text[..written]), type, ttl, IpAddress128.FromIPv6(data.Slice(rdata, 16)), null));
                    break;
                case DnsRecordType.Cname:
                    if (!room) goto default;
                    string owner = new(text[..written]);
                    // The target may point anywhere before it, but must lie within the record's own data.
                    failure = DnsNameReader.Read(data[..(rdata + length)], rdata, text, out _, out written);
                    if (failure != DnsMalformation.None) return failure;
                    Keep(message, new DnsAnswer(owner, type, ttl, default, new string(text[..written])));
                    break;
                default:
                    message.AnswersSkipped++;
                    break;
            }
        }
        return DnsMalformation.None;
    }

    private static void Keep(DnsMessage message, in DnsAnswer answer)
    {
        if (!message.TryAddAnswer(in answer)) message.AnswersSkipped++;
    }
}
