using System.Buffers.Binary;
using System.Text;
using Flowmesh.Core.Epochs;

namespace Flowmesh.Gossip.Records;

/// <summary>
/// Binary layout of <see cref="SyncMessage"/>s. Integers are big-endian; an origin is <c>length (1) | UTF-8</c>
/// (1..64 bytes); an id is <c>origin | start µs (8) | length µs (8)</c>.
/// <code>
/// header:          version (1) = 1 | type (1)
/// DigestRequest  1: since µs (8) | n (4) | n × [origin | count (4) | newest start µs (8) | fingerprint (8)]
/// IdListReply    2: n (4) | n × [origin | flags (1, bit 0 = truncated) | m (4) | m × [start (8) | length (8)]]
/// ExchangeRequest3: w (4) | w × id | p (4) | p × [length (4) | signed envelope]
/// RecordsReply   4: r (4) | r × [length (4) | signed envelope]
/// </code>
/// Decoding never throws and never allocates more than the input justifies: every count is checked against its
/// cap and against the bytes left before anything is allocated; a message with trailing bytes is refused.
/// </summary>
public static class SyncCodec
{
    public const byte Version = 1;

    private const byte DigestRequestType = 1;
    private const byte IdListReplyType = 2;
    private const byte ExchangeRequestType = 3;
    private const byte RecordsReplyType = 4;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static byte[] Encode(SyncMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var writer = new Writer();
        writer.Byte(Version);
        switch (message)
        {
            case DigestRequest d:
                writer.Byte(DigestRequestType);
                writer.Int64(d.SinceMicros);
                writer.Int32(d.Digests.Count);
                foreach (var digest in d.Digests)
                {
                    writer.Origin(digest.Origin);
                    writer.Int32(digest.Count);
                    writer.Int64(digest.NewestStartMicros);
                    writer.Int64((long)digest.Fingerprint);
                }
                break;
            case IdListReply r:
                writer.Byte(IdListReplyType);
                writer.Int32(r.Origins.Count);
                foreach (var group in r.Origins)
                {
                    writer.Origin(group.Origin);
                    writer.Byte(group.Truncated ? (byte)1 : (byte)0);
                    writer.Int32(group.Ids.Count);
                    foreach (var id in group.Ids)
                    {
                        if (!string.Equals(id.Origin, group.Origin, StringComparison.Ordinal))
                            throw new ArgumentException($"id {id} listed under origin {group.Origin}");
                        writer.Int64(id.StartMicros);
                        writer.Int64(id.LengthMicros);
                    }
                }
                break;
            case ExchangeRequest x:
                writer.Byte(ExchangeRequestType);
                writer.Int32(x.Wants.Count);
                foreach (var id in x.Wants)
                {
                    writer.Origin(id.Origin);
                    writer.Int64(id.StartMicros);
                    writer.Int64(id.LengthMicros);
                }
                writer.Envelopes(x.Pushes);
                break;
            case RecordsReply rr:
                writer.Byte(RecordsReplyType);
                writer.Envelopes(rr.Envelopes);
                break;
            default:
                throw new ArgumentException($"unknown message {message.GetType().Name}", nameof(message));
        }
        return writer.ToArray();
    }

    /// <summary>Decodes one message; on refusal counts the reason in <paramref name="drops"/> (when given). Never throws.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> data, ReplicationOptions options, out SyncMessage? message, out SyncDropReason reason, SyncDropCounters? drops = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        message = null;
        reason = Decode(data, options, ref message);
        if (message is not null) return true;
        drops?.Count(reason);
        return false;
    }

    private static SyncDropReason Decode(ReadOnlySpan<byte> data, ReplicationOptions options, ref SyncMessage? message)
    {
        if (data.Length > options.MaxMessageBytes) return SyncDropReason.Oversized;
        var reader = new Reader(data);
        if (!reader.Byte(out var version)) return SyncDropReason.Malformed;
        if (version != Version) return SyncDropReason.UnknownVersion;
        if (!reader.Byte(out var type)) return SyncDropReason.Malformed;
        SyncDropReason? failure = type switch
        {
            DigestRequestType => DecodeDigestRequest(ref reader, options, out message),
            IdListReplyType => DecodeIdListReply(ref reader, options, out message),
            ExchangeRequestType => DecodeExchangeRequest(ref reader, options, out message),
            RecordsReplyType => DecodeRecordsReply(ref reader, options, out message),
            _ => SyncDropReason.UnknownType,
        };
        if (failure is { } f)
        {
            message = null;
            return f;
        }
        if (reader.Remaining != 0)
        {
            message = null;
            return SyncDropReason.Malformed;
        }
        return default;
    }

    private static SyncDropReason? DecodeDigestRequest(ref Reader reader, ReplicationOptions options, out SyncMessage? message)
    {
        message = null;
        if (!reader.Int64(out var since) || !reader.Int32(out var n) || n < 0) return SyncDropReason.Malformed;
        if (n > options.MaxOrigins) return SyncDropReason.TooManyEntries;
        if ((long)n * (2 + 4 + 8 + 8) > reader.Remaining) return SyncDropReason.Malformed;
        var digests = new List<OriginDigest>(n);
        for (var i = 0; i < n; i++)
        {
            if (!reader.Origin(out var origin) || !reader.Int32(out var count) || !reader.Int64(out var newest) || !reader.Int64(out var fingerprint)
                || count < 0)
                return SyncDropReason.Malformed;
            digests.Add(new OriginDigest(origin!, count, newest, (ulong)fingerprint));
        }
        message = new DigestRequest(since, digests);
        return null;
    }

    private static SyncDropReason? DecodeIdListReply(ref Reader reader, ReplicationOptions options, out SyncMessage? message)
    {
        message = null;
        if (!reader.Int32(out var n) || n < 0) return SyncDropReason.Malformed;
        if (n > options.MaxOrigins) return SyncDropReason.TooManyEntries;
        if ((long)n * (2 + 1 + 4) > reader.Remaining) return SyncDropReason.Malformed;
        var groups = new List<OriginIds>(n);
        long total = 0;
        for (var i = 0; i < n; i++)
        {
            if (!reader.Origin(out var origin) || !reader.Byte(out var flags) || !reader.Int32(out var m) || m < 0 || flags > 1)
                return SyncDropReason.Malformed;
            total += m;
            if (m > options.MaxIdsPerOrigin || total > options.MaxIdsPerMessage) return SyncDropReason.TooManyEntries;
            if ((long)m * 16 > reader.Remaining) return SyncDropReason.Malformed;
            var ids = new EpochId[m];
            for (var j = 0; j < m; j++)
            {
                reader.Int64(out var start);
                reader.Int64(out var length);
                if (!IsValidInterval(start, length)) return SyncDropReason.Malformed;
                ids[j] = new EpochId(origin!, start, length);
            }
            groups.Add(new OriginIds(origin!, ids, flags == 1));
        }
        message = new IdListReply(groups);
        return null;
    }

    private static SyncDropReason? DecodeExchangeRequest(ref Reader reader, ReplicationOptions options, out SyncMessage? message)
    {
        message = null;
        if (!reader.Int32(out var w) || w < 0) return SyncDropReason.Malformed;
        if (w > options.MaxIdsPerMessage) return SyncDropReason.TooManyEntries;
        if ((long)w * (2 + 16) > reader.Remaining) return SyncDropReason.Malformed;
        var wants = new List<EpochId>(w);
        for (var i = 0; i < w; i++)
        {
            if (!reader.Origin(out var origin) || !reader.Int64(out var start) || !reader.Int64(out var length) || !IsValidInterval(start, length))
                return SyncDropReason.Malformed;
            wants.Add(new EpochId(origin!, start, length));
        }
        var failure = DecodeEnvelopes(ref reader, options, out var pushes);
        if (failure is not null) return failure;
        message = new ExchangeRequest(wants, pushes!);
        return null;
    }

    private static SyncDropReason? DecodeRecordsReply(ref Reader reader, ReplicationOptions options, out SyncMessage? message)
    {
        var failure = DecodeEnvelopes(ref reader, options, out var envelopes);
        message = failure is null ? new RecordsReply(envelopes!) : null;
        return failure;
    }

    private static SyncDropReason? DecodeEnvelopes(ref Reader reader, ReplicationOptions options, out List<byte[]>? envelopes)
    {
        envelopes = null;
        if (!reader.Int32(out var count) || count < 0) return SyncDropReason.Malformed;
        if ((long)count * 5 > reader.Remaining) return SyncDropReason.Malformed;
        var list = new List<byte[]>(count);
        for (var i = 0; i < count; i++)
        {
            if (!reader.Int32(out var length) || length <= 0) return SyncDropReason.Malformed;
            if (length > options.MaxEnvelopeBytes) return SyncDropReason.Oversized;
            if (!reader.Bytes(length, out var envelope)) return SyncDropReason.Malformed;
            list.Add(envelope.ToArray());
        }
        envelopes = list;
        return null;
    }

    private static bool IsValidInterval(long start, long length) => length > 0 && start <= long.MaxValue - length;

    private ref struct Reader(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _at;

        public readonly int Remaining => _data.Length - _at;

        public bool Byte(out byte value)
        {
            value = 0;
            if (Remaining < 1) return false;
            value = _data[_at++];
            return true;
        }

        public bool Int32(out int value)
        {
            value = 0;
            if (Remaining < 4) return false;
            value = BinaryPrimitives.ReadInt32BigEndian(_data[_at..]);
            _at += 4;
            return true;
        }

        public bool Int64(out long value)
        {
            value = 0;
            if (Remaining < 8) return false;
            value = BinaryPrimitives.ReadInt64BigEndian(_data[_at..]);
            _at += 8;
            return true;
        }

        public bool Bytes(int length, out ReadOnlySpan<byte> value)
        {
            value = default;
            if (length < 0 || Remaining < length) return false;
            value = _data.Slice(_at, length);
            _at += length;
            return true;
        }

        public bool Origin(out string? origin)
        {
            origin = null;
            if (!Byte(out var length) || length is 0 or > EpochId.MaxOriginBytes || !Bytes(length, out var bytes)) return false;
            try
            {
                origin = StrictUtf8.GetString(bytes);
                return true;
            }
            catch (DecoderFallbackException)
            {
                return false;
            }
        }
    }

    private sealed class Writer
    {
        private readonly MemoryStream _stream = new();
        private readonly byte[] _scratch = new byte[8];

        public void Byte(byte value) => _stream.WriteByte(value);

        public void Int32(int value)
        {
            BinaryPrimitives.WriteInt32BigEndian(_scratch, value);
            _stream.Write(_scratch, 0, 4);
        }

        public void Int64(long value)
        {
            BinaryPrimitives.WriteInt64BigEndian(_scratch, value);
            _stream.Write(_scratch, 0, 8);
        }

        public void Origin(string origin)
        {
            var bytes = Encoding.UTF8.GetBytes(origin);
            if (bytes.Length is 0 or > EpochId.MaxOriginBytes)
                throw new ArgumentException($"an origin is 1..{EpochId.MaxOriginBytes} bytes of UTF-8, got {bytes.Length}");
            Byte((byte)bytes.Length);
            _stream.Write(bytes);
        }

        public void Envelopes(IReadOnlyList<byte[]> envelopes)
        {
            Int32(envelopes.Count);
            foreach (var envelope in envelopes)
            {
                Int32(envelope.Length);
                _stream.Write(envelope);
            }
        }

        public byte[] ToArray() => _stream.ToArray();
    }
}
