using System.Buffers.Binary;
using Flowmesh.Core.Packets;

namespace Flowmesh.Agent.Drill;

/// <summary>
/// Binary layout of the drill-down exchange (<c>GossipStreamKind.FlowQuery</c>). Integers are big-endian, addresses
/// 16 bytes (IPv4-mapped for IPv4).
/// <code>
/// header:   version (1) = 1 | type (1)
/// request 1: from µs (8) | to µs (8) | network (16) | prefix length (1, 0..128)
///            | flags (1: bit 0 port, bit 1 protocol, bit 2 host context wanted) | port (2) | protocol (1) | limit (4, 1..1000)
/// reply   2: flags (1: bit 0 truncated, bit 1 no flow log, bit 2 oldest present, bit 3 rows carry context) | oldest epoch µs (8) | n (4)
///            | n × row (102): protocol (1) | source (16) | source port (2) | destination (16) | destination port (2)
///            | bytes out (8) | packets out (8) | bytes in (8) | packets in (8) | first µs (8) | last µs (8)
///            | first epoch start µs (8) | epochs' span µs (8) | TCP flags (1)
///            [bit 3: each row followed by context length (2) | context (<see cref="FlowContextCodec"/>, 0 bytes: none)]
/// </code>
/// A reply carries context only when the request asked for it (bit 2), so an agent from before host context, which
/// refuses unknown request flags, is asked again without it (<see cref="FlowDrill"/>) and never sees a row it cannot read.
/// Decoding never throws and allocates only what the input's length justifies: counts are checked against the
/// bytes left, unknown versions, types and flags, and trailing bytes are refused with a reason.
/// </summary>
internal static class FlowQueryCodec
{
    public const byte Version = 1;
    private const byte RequestType = 1;
    private const byte ReplyType = 2;
    public const int RequestBytes = 2 + 8 + 8 + 16 + 1 + 1 + 2 + 1 + 4;
    public const int RowBytes = 1 + 16 + 2 + 16 + 2 + 8 * 8 + 1;
    private const int ReplyHeaderBytes = 2 + 1 + 8 + 4;

    /// <summary>Most rows in a reply: the limit's maximum, so a hostile count cannot make the decoder allocate more.</summary>
    public const int MaxRows = FlowQuery.MaxLimit;

    public static byte[] EncodeRequest(FlowQuery query, bool withContext = false)
    {
        if (!query.IsValid) throw new ArgumentException("the flow query is out of range", nameof(query));
        var bytes = new byte[RequestBytes];
        var span = bytes.AsSpan();
        span[0] = Version;
        span[1] = RequestType;
        BinaryPrimitives.WriteInt64BigEndian(span[2..], query.FromMicros);
        BinaryPrimitives.WriteInt64BigEndian(span[10..], query.ToMicros);
        WriteAddress(span[18..], query.Network);
        span[34] = (byte)query.PrefixLength;
        span[35] = (byte)((query.Port is null ? 0 : 1) | (query.Protocol is null ? 0 : 2) | (withContext ? 4 : 0));
        BinaryPrimitives.WriteUInt16BigEndian(span[36..], query.Port ?? 0);
        span[38] = query.Protocol ?? 0;
        BinaryPrimitives.WriteInt32BigEndian(span[39..], query.Limit);
        return bytes;
    }

    public static FlowQuery? DecodeRequest(ReadOnlySpan<byte> bytes, out string? error) => DecodeRequest(bytes, out _, out error);

    public static FlowQuery? DecodeRequest(ReadOnlySpan<byte> bytes, out bool withContext, out string? error)
    {
        withContext = false;
        if (!Header(bytes, RequestType, out error)) return null;
        if (bytes.Length != RequestBytes) { error = $"a request is {RequestBytes} bytes, this one {bytes.Length}"; return null; }
        long from = BinaryPrimitives.ReadInt64BigEndian(bytes[2..]), to = BinaryPrimitives.ReadInt64BigEndian(bytes[10..]);
        var network = ReadAddress(bytes[18..]);
        int prefix = bytes[34], flags = bytes[35];
        if ((flags & ~7) != 0) { error = $"unknown request flags 0x{flags:x2}"; return null; }
        withContext = (flags & 4) != 0;
        ushort? port = (flags & 1) != 0 ? BinaryPrimitives.ReadUInt16BigEndian(bytes[36..]) : null;
        byte? protocol = (flags & 2) != 0 ? bytes[38] : null;
        int limit = BinaryPrimitives.ReadInt32BigEndian(bytes[39..]);
        var query = new FlowQuery(from, to, network, prefix, port, protocol, limit);
        if (!query.IsValid) { error = "the request's window, prefix length or limit is out of range"; return null; }
        return query;
    }

    /// <summary>Encodes at most <paramref name="maxBytes"/>; rows beyond it are left out and the reply marked truncated.</summary>
    public static byte[] EncodeReply(FlowQueryReply reply, int maxBytes = 1024 * 1024, bool withContext = false)
    {
        byte[][] contexts = withContext ? [.. reply.Rows.Select(r => FlowContextCodec.Encode(r.Context))] : [];
        int n = 0;
        long size = ReplyHeaderBytes;
        while (n < Math.Min(reply.Rows.Count, MaxRows))
        {
            long rowSize = RowBytes + (withContext ? 2 + contexts[n].Length : 0);
            if (size + rowSize > maxBytes) break;
            size += rowSize;
            n++;
        }
        bool truncated = reply.Truncated || n < reply.Rows.Count;
        var bytes = new byte[size];
        var span = bytes.AsSpan();
        span[0] = Version;
        span[1] = ReplyType;
        span[2] = (byte)((truncated ? 1 : 0) | (reply.LogDisabled ? 2 : 0) | (reply.OldestEpochMicros is null ? 0 : 4) | (withContext ? 8 : 0));
        BinaryPrimitives.WriteInt64BigEndian(span[3..], reply.OldestEpochMicros ?? 0);
        BinaryPrimitives.WriteInt32BigEndian(span[11..], n);
        int at = ReplyHeaderBytes;
        for (int i = 0; i < n; i++)
        {
            var row = reply.Rows[i];
            var r = span.Slice(at, RowBytes);
            at += RowBytes;
            if (withContext)
            {
                BinaryPrimitives.WriteUInt16BigEndian(span[at..], (ushort)contexts[i].Length);
                contexts[i].CopyTo(span[(at + 2)..]);
                at += 2 + contexts[i].Length;
            }
            r[0] = row.Protocol;
            WriteAddress(r[1..], row.Source);
            BinaryPrimitives.WriteUInt16BigEndian(r[17..], row.SourcePort);
            WriteAddress(r[19..], row.Destination);
            BinaryPrimitives.WriteUInt16BigEndian(r[35..], row.DestinationPort);
            BinaryPrimitives.WriteInt64BigEndian(r[37..], row.BytesOut);
            BinaryPrimitives.WriteInt64BigEndian(r[45..], row.PacketsOut);
            BinaryPrimitives.WriteInt64BigEndian(r[53..], row.BytesIn);
            BinaryPrimitives.WriteInt64BigEndian(r[61..], row.PacketsIn);
            BinaryPrimitives.WriteInt64BigEndian(r[69..], row.FirstMicros);
            BinaryPrimitives.WriteInt64BigEndian(r[77..], row.LastMicros);
            BinaryPrimitives.WriteInt64BigEndian(r[85..], row.EpochStartMicros);
            BinaryPrimitives.WriteInt64BigEndian(r[93..], row.EpochLengthMicros);
            r[101] = row.TcpFlags;
        }
        return bytes;
    }

    private const long MaxCounter = 1L << 62;
    private const long MaxMicros = 253_402_300_799_999_999; // 9999-12-31T23:59:59.999999Z

    private static bool Representable(long micros) => micros is >= 0 and <= MaxMicros;

    public static FlowQueryReply? DecodeReply(ReadOnlySpan<byte> bytes, out string? error)
    {
        if (!Header(bytes, ReplyType, out error)) return null;
        if (bytes.Length < ReplyHeaderBytes) { error = $"a reply is at least {ReplyHeaderBytes} bytes, this one {bytes.Length}"; return null; }
        int flags = bytes[2];
        if ((flags & ~15) != 0) { error = $"unknown reply flags 0x{flags:x2}"; return null; }
        bool withContext = (flags & 8) != 0;
        long oldest = BinaryPrimitives.ReadInt64BigEndian(bytes[3..]);
        int n = BinaryPrimitives.ReadInt32BigEndian(bytes[11..]);
        if (n < 0 || n > MaxRows) { error = $"row count {n} is outside 0..{MaxRows}"; return null; }
        long fixedBytes = ReplyHeaderBytes + (long)n * (RowBytes + (withContext ? 2 : 0));
        if (withContext ? bytes.Length < fixedBytes : bytes.Length != fixedBytes) { error = $"{n} rows need {(withContext ? "at least " : "")}{fixedBytes} bytes, the reply has {bytes.Length}"; return null; }
        var rows = new FlowRow[n];
        int at = ReplyHeaderBytes;
        for (int i = 0; i < n; i++)
        {
            if (bytes.Length - at < RowBytes) { error = $"row {i} is truncated"; return null; }
            var r = bytes.Slice(at, RowBytes);
            at += RowBytes;
            var row = new FlowRow(
                BinaryPrimitives.ReadInt64BigEndian(r[85..]), BinaryPrimitives.ReadInt64BigEndian(r[93..]), r[0],
                ReadAddress(r[1..]), BinaryPrimitives.ReadUInt16BigEndian(r[17..]), ReadAddress(r[19..]), BinaryPrimitives.ReadUInt16BigEndian(r[35..]),
                BinaryPrimitives.ReadInt64BigEndian(r[37..]), BinaryPrimitives.ReadInt64BigEndian(r[45..]),
                BinaryPrimitives.ReadInt64BigEndian(r[53..]), BinaryPrimitives.ReadInt64BigEndian(r[61..]),
                BinaryPrimitives.ReadInt64BigEndian(r[69..]), BinaryPrimitives.ReadInt64BigEndian(r[77..])) { TcpFlags = r[101] };
            if (row.BytesOut < 0 || row.PacketsOut < 0 || row.BytesIn < 0 || row.PacketsIn < 0 || row.EpochLengthMicros < 0)
            {
                error = $"row {i} has a negative counter";
                return null;
            }
            // A peer's numbers are summed and shown: beyond 2^62 a sum wraps, and times outside years 1..9999 cannot
            // be formatted. No real flow comes near either, so such a row is damage or a lie, and the reply is refused.
            if (row.BytesOut > MaxCounter || row.PacketsOut > MaxCounter || row.BytesIn > MaxCounter || row.PacketsIn > MaxCounter)
            {
                error = $"row {i} has a counter above 2^62";
                return null;
            }
            if (!Representable(row.FirstMicros) || !Representable(row.LastMicros) || row.FirstMicros > row.LastMicros
                || !Representable(row.EpochStartMicros) || !Representable(row.EpochStartMicros + Math.Min(row.EpochLengthMicros, MaxMicros)))
            {
                error = $"row {i} has times that are out of order or outside years 1970..9999";
                return null;
            }
            if (withContext)
            {
                if (bytes.Length - at < 2) { error = $"row {i}'s context length is truncated"; return null; }
                int length = BinaryPrimitives.ReadUInt16BigEndian(bytes[at..]);
                at += 2;
                if (length > FlowContextCodec.MaxBytes || bytes.Length - at < length) { error = $"row {i}'s context is {length} bytes, {bytes.Length - at} are left (at most {FlowContextCodec.MaxBytes})"; return null; }
                if (!FlowContextCodec.TryDecode(bytes.Slice(at, length), out var context, out string? contextError)) { error = $"row {i}'s context: {contextError}"; return null; }
                at += length;
                row = row with { Context = context };
            }
            rows[i] = row;
        }
        if (at != bytes.Length) { error = $"{bytes.Length - at} bytes after the last row"; return null; }
        return new FlowQueryReply(rows, (flags & 1) != 0, (flags & 2) != 0, (flags & 4) != 0 ? oldest : null);
    }

    private static bool Header(ReadOnlySpan<byte> bytes, byte type, out string? error)
    {
        error = null;
        if (bytes.Length < 2) { error = "shorter than the 2-byte header"; return false; }
        if (bytes[0] != Version) { error = $"version {bytes[0]}, this build speaks {Version}"; return false; }
        if (bytes[1] != type) { error = $"message type {bytes[1]} where {type} was expected"; return false; }
        return true;
    }

    private static void WriteAddress(Span<byte> destination, IpAddress128 address)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, address.High);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], address.Low);
    }

    private static IpAddress128 ReadAddress(ReadOnlySpan<byte> source) =>
        new(BinaryPrimitives.ReadUInt64BigEndian(source), BinaryPrimitives.ReadUInt64BigEndian(source[8..]));
}
