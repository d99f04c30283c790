using System.Buffers.Binary;
using System.Text;
using Flowmesh.Core.Epochs;
using Flowmesh.Core.Zones;

namespace Flowmesh.Gossip.Records;

/// <summary>
/// Binary layout of <see cref="SyncMessage"/>s. Integers are big-endian; an origin is <c>length (1) | UTF-8</c>
/// (1..64 bytes); an id is <c>origin | start µs (8) | length µs (8)</c>.
/// <code>
/// header, flat:    version (1) = 1 | type (1)
/// header, scoped:  version (1) = 2 | type (1) | scope kind (1: records, 2: aggregates) | zone (1 length | ASCII)
/// DigestRequest  1: since µs (8) | n (4) | n × [origin | count (4) | newest start µs (8) | fingerprint (8)]
/// IdListReply    2: n (4) | n × [origin | flags (1, bit 0 = truncated) | m (4) | m × [start (8) | length (8)]]
/// ExchangeRequest3: w (4) | w × id | p (4) | p × [length (4) | signed envelope]
/// RecordsReply   4: r (4) | r × [length (4) | signed envelope]
/// ScopeRefused   5: served leaf zone (1 length, 0 = none | ASCII)
/// </code>
/// Version 2 exists only for what needs the scope: the two requests (types 1 and 3) and the refusal of a scoped
/// request (type 5, whose header scope is the one refused). Replies to requests stay version 1: a session is request
/// and reply, so the reply needs no scope. A flat node keeps sending version 1, byte for byte as before, so old
/// and new flat nodes interoperate. A node that does not serve a request's scope answers <see cref="ScopeRefused"/>
/// in the request's version: a version-1 node of before scopes drops a version-2 request as an unknown version and
/// a version-1 refusal as an unknown type, both counted, never a crash. A records scope never names the root.
/// Decoding never throws and never allocates more than the input justifies: every count is checked against its
/// cap and against the bytes left before anything is allocated; a message with trailing bytes is refused.
/// </summary>
public static class SyncCodec
{
    public const byte Version = 1;

    /// <summary>The version of requests that carry a <see cref="SyncScope"/> and of their refusal.</summary>
    public const byte ScopedVersion = 2;

    private const byte DigestRequestType = 1;
    private const byte IdListReplyType = 2;
    private const byte ExchangeRequestType = 3;
    private const byte RecordsReplyType = 4;
    private const byte ScopeRefusedType = 5;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static byte[] Encode(SyncMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var writer = new Writer();
        switch (message)
        {
            case DigestRequest d:
                writer.Header(DigestRequestType, d.Scope);
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
                writer.Header(IdListReplyType, null);
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
                writer.Header(ExchangeRequestType, x.Scope);
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
                writer.Header(RecordsReplyType, null);
                writer.Envelopes(rr.Envelopes);
                break;
            case ScopeRefused refused:
                writer.Header(ScopeRefusedType, refused.Refused);
                writer.Zone(refused.ServedLeaf);
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
        if (version is not (Version or ScopedVersion)) return SyncDropReason.UnknownVersion;
        if (!reader.Byte(out var type)) return SyncDropReason.Malformed;
        if (version == ScopedVersion && type is not (DigestRequestType or ExchangeRequestType or ScopeRefusedType)) return SyncDropReason.UnknownType;
        SyncScope? scope = null;
        if (version == ScopedVersion && !reader.Scope(out scope)) return SyncDropReason.Malformed;
        SyncDropReason? failure = type switch
        {
            DigestRequestType => DecodeDigestRequest(ref reader, options, out message),
            IdListReplyType => DecodeIdListReply(ref reader, options, out message),
            ExchangeRequestType => DecodeExchangeRequest(ref reader, options, out message),
            RecordsReplyType => DecodeRecordsReply(ref reader, options, out message),
            ScopeRefusedType => reader.Zone(out var served) ? Refusal(scope, served, out message) : SyncDropReason.Malformed,
            _ => SyncDropReason.UnknownType,
        };
        // The scope travels in the header; the body decoders build the unscoped message.
        message = message switch
        {
            DigestRequest d when scope is not null => d with { Scope = scope },
            ExchangeRequest x when scope is not null => x with { Scope = scope },
            _ => message,
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

    private static SyncDropReason? Refusal(SyncScope? refused, ZonePath? servedLeaf, out SyncMessage? message)
    {
        message = new ScopeRefused(refused, servedLeaf);
        return null;
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

        /// <summary>A zone path: length (0 = none) and ASCII, valid by <see cref="ZonePath.TryParse(string?, out ZonePath, out string?)"/>.</summary>
        public bool Zone(out ZonePath? zone)
        {
            zone = null;
            if (!Byte(out var length)) return false;
            if (length == 0) return true;
            if (length > ZonePath.MaxBytes || !Bytes(length, out var bytes)) return false;
            foreach (byte b in bytes)
                if (b is < 0x21 or > 0x7e) return false; // ASCII only, before anything is allocated
            if (!ZonePath.TryParse(Encoding.ASCII.GetString(bytes), out var path, out _)) return false;
            zone = path;
            return true;
        }

        public bool Scope(out SyncScope? scope)
        {
            scope = null;
            if (!Byte(out var kind) || kind is not ((byte)SyncScopeKind.Records or (byte)SyncScopeKind.Aggregates)) return false;
            if (!Byte(out var length)) return false;
            ZonePath zone = ZonePath.Root;
            if (length > 0)
            {
                _at--;
                if (!Zone(out var named)) return false;
                zone = named!;
            }
            if (kind == (byte)SyncScopeKind.Records && zone.IsRoot) return false;
            scope = new SyncScope((SyncScopeKind)kind, zone);
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

        /// <summary>Version 1 without a scope (flat, unchanged since before scopes), version 2 with one.</summary>
        public void Header(byte type, SyncScope? scope)
        {
            Byte(scope is null ? Version : ScopedVersion);
            Byte(type);
            if (scope is null) return;
            if (scope.Kind == SyncScopeKind.Records && scope.Zone.IsRoot) throw new ArgumentException("a records scope names a leaf zone, not the root");
            Byte((byte)scope.Kind);
            Zone(scope.Zone.IsRoot ? null : scope.Zone);
        }

        public void Zone(ZonePath? zone)
        {
            if (zone is null || zone.IsRoot)
            {
                Byte(0);
                return;
            }
            var bytes = Encoding.ASCII.GetBytes(zone.Text); // ZonePath allows only a-z 0-9 - _ . /, at most 63 characters
            Byte((byte)bytes.Length);
            _stream.Write(bytes);
        }

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
