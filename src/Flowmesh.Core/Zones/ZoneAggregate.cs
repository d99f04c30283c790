using System.Security.Cryptography;
using System.Text;
using Flowmesh.Core.Epochs;
using Flowmesh.Core.Sketches;

namespace Flowmesh.Core.Zones;

/// <summary>
/// A zone's summary of one period: the exact-once merge of the inputs its <see cref="Manifest"/> lists (the records
/// of a leaf zone's origins, or the aggregates of a zone's children), produced by one member of the zone
/// (docs/zones.md "Aggregates"). Its size is that of one record whatever the zone's size. Aggregates of one zone and
/// period are not immutable: a late input makes a new one, and the manifests decide which replaces which.
/// </summary>
/// <remarks>
/// Byte layout (little-endian): <c>"FMZA"</c>, version (1) = 1, kind (1: 1 records, 2 child zones), zone path
/// (u8 length, ASCII), period start (i64 µs), period length (i64 µs), producer (u8 length, UTF-8 1..64), manifest
/// (u32 n ≤ 4096, then n × [key (u8 length, UTF-8), start (i64), length (i64), hash (32), weight (u32 ≥ 1)] in strictly
/// increasing (key, start, length) order), merged contents (u32 length, an epoch record whose id is
/// (<c>@</c> + zone path, period start, period length)). Nothing may follow. Signing is the gossip layer's job, as
/// for records.
/// </remarks>
public sealed class ZoneAggregate
{
    public const byte FormatVersion = 1;
    public static ReadOnlySpan<byte> Magic => "FMZA"u8;

    /// <summary>Contents (≤ 1 MiB) plus the largest manifest (4,096 entries of at most 125 bytes) plus the header.</summary>
    public const int MaxEncodedLength = EpochRecord.MaxEncodedLength + ZoneManifest.MaxEntries * 125 + 256;

    private readonly byte[] _bytes;

    private ZoneAggregate(ZoneAggregateKind kind, ZonePath zone, long startMicros, long lengthMicros, string producer, ZoneManifest manifest, EpochRecord contents, byte[] bytes)
    {
        Kind = kind;
        Zone = zone;
        StartMicros = startMicros;
        LengthMicros = lengthMicros;
        Producer = producer;
        Manifest = manifest;
        Contents = contents;
        _bytes = bytes;
        Hash = new ZoneHash(SHA256.HashData(bytes));
    }

    public ZoneAggregateKind Kind { get; }
    public ZonePath Zone { get; }
    public long StartMicros { get; }
    public long LengthMicros { get; }
    public long EndMicros => StartMicros + LengthMicros;

    /// <summary>The node that merged it (and signs it).</summary>
    public string Producer { get; }

    public ZoneManifest Manifest { get; }

    /// <summary>The merged summary, as a record of the pseudo-origin <c>@zone</c>: every view answer reads it like a record.</summary>
    public EpochRecord Contents { get; }

    /// <summary>SHA-256 of the encoding.</summary>
    public ZoneHash Hash { get; }

    public int EncodedLength => _bytes.Length;
    public byte[] Encode() => (byte[])_bytes.Clone();

    /// <summary>The pseudo-origin the contents are recorded under; '@' keeps it apart from node names in logs.</summary>
    public static string ContentsOrigin(ZonePath zone) => "@" + zone.Text;

    /// <summary>
    /// Merges a leaf zone's records of one period, each exactly once (<see cref="EpochRecordSet"/> drops duplicates
    /// and refuses overlaps and conflicts). Every record must lie inside the period.
    /// </summary>
    public static ZoneAggregate FromRecords(ZonePath zone, long startMicros, long lengthMicros, string producer, IEnumerable<EpochRecord> records)
    {
        ArgumentNullException.ThrowIfNull(zone);
        ArgumentNullException.ThrowIfNull(records);
        CheckPeriod(startMicros, lengthMicros);
        var set = new EpochRecordSet();
        foreach (var record in records)
        {
            if (record.Id.StartMicros < startMicros || record.Id.EndMicros > startMicros + lengthMicros)
                throw new ArgumentException($"Record {record.Id} is not inside the period {startMicros}+{lengthMicros}.", nameof(records));
            set.Add(record);
        }
        var inputs = set.Records; // canonical order (origin, start, length): the merge, and so the bytes, are reproducible
        if (inputs.Count == 0) throw new ArgumentException("An aggregate merges at least one record.", nameof(records));
        var manifest = ZoneManifest.Create(inputs.Select(r => new ZoneManifestEntry(r.Id.Origin, r.Id.StartMicros, r.Id.LengthMicros, ZoneHash.FromHex(r.ContentHash), 1)));
        return Seal(ZoneAggregateKind.Records, zone, startMicros, lengthMicros, producer, manifest, inputs);
    }

    /// <summary>Merges the aggregates of <paramref name="zone"/>'s children for one period, at most one per child.</summary>
    public static ZoneAggregate FromChildren(ZonePath zone, long startMicros, long lengthMicros, string producer, IEnumerable<ZoneAggregate> children)
    {
        ArgumentNullException.ThrowIfNull(zone);
        ArgumentNullException.ThrowIfNull(children);
        CheckPeriod(startMicros, lengthMicros);
        var byChild = new SortedDictionary<string, ZoneAggregate>(StringComparer.Ordinal);
        foreach (var child in children)
        {
            if (child.Zone.IsRoot || !child.Zone.Parent.Equals(zone))
                throw new ArgumentException($"Zone {child.Zone} is not a child of {zone}.", nameof(children));
            if (child.StartMicros != startMicros || child.LengthMicros != lengthMicros)
                throw new ArgumentException($"The aggregate of {child.Zone} covers another period.", nameof(children));
            if (!byChild.TryAdd(child.Zone.Text, child))
                throw new ArgumentException($"Two aggregates of child {child.Zone}: merging both would count its inputs twice.", nameof(children));
        }
        if (byChild.Count == 0) throw new ArgumentException("An aggregate merges at least one child.", nameof(children));
        var manifest = ZoneManifest.Create(byChild.Values.Select(c => new ZoneManifestEntry(c.Zone.Text, startMicros, lengthMicros, c.Manifest.Hash, checked((int)c.Manifest.TotalWeight))));
        return Seal(ZoneAggregateKind.Zones, zone, startMicros, lengthMicros, producer, manifest, [.. byChild.Values.Select(c => c.Contents)]);
    }

    /// <summary>
    /// True when merging <paramref name="inputs"/> (any order, extras ignored) reproduces exactly this aggregate's
    /// contents: every manifest entry present with its hash, and the same merged bytes. How anyone checks a producer.
    /// </summary>
    public bool IsMergeOf(IEnumerable<EpochRecord> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (Kind != ZoneAggregateKind.Records) throw new InvalidOperationException("Check an aggregate of child zones with IsMergeOf(children).");
        var byId = new Dictionary<(string, long, long), EpochRecord>();
        foreach (var r in inputs) byId.TryAdd((r.Id.Origin, r.Id.StartMicros, r.Id.LengthMicros), r);
        var chosen = new List<EpochRecord>(Manifest.Entries.Count);
        foreach (var e in Manifest.Entries)
        {
            if (!byId.TryGetValue((e.Key, e.StartMicros, e.LengthMicros), out var r) || ZoneHash.FromHex(r.ContentHash) != e.Hash) return false;
            chosen.Add(r);
        }
        return MergeToRecord(Zone, StartMicros, LengthMicros, chosen).ContentHash == Contents.ContentHash;
    }

    /// <summary>As <see cref="IsMergeOf(IEnumerable{EpochRecord})"/>, for an aggregate of child zones.</summary>
    public bool IsMergeOf(IEnumerable<ZoneAggregate> children)
    {
        ArgumentNullException.ThrowIfNull(children);
        if (Kind != ZoneAggregateKind.Zones) throw new InvalidOperationException("Check an aggregate of records with IsMergeOf(records).");
        var listed = Manifest.Entries.ToDictionary(e => e.Key, e => e.Hash, StringComparer.Ordinal);
        var byZone = new Dictionary<string, ZoneAggregate>(StringComparer.Ordinal);
        foreach (var c in children)
            if (c.StartMicros == StartMicros && c.LengthMicros == LengthMicros && listed.TryGetValue(c.Zone.Text, out var hash) && c.Manifest.Hash == hash)
                byZone.TryAdd(c.Zone.Text, c);
        var chosen = new List<EpochRecord>(Manifest.Entries.Count);
        foreach (var e in Manifest.Entries)
        {
            if (!byZone.TryGetValue(e.Key, out var c)) return false;
            chosen.Add(c.Contents);
        }
        return MergeToRecord(Zone, StartMicros, LengthMicros, chosen).ContentHash == Contents.ContentHash;
    }

    /// <summary>
    /// Decodes and validates. Throws <see cref="ZoneAggregateFormatException"/> for truncated, oversized,
    /// inconsistent or hostile input; never allocates more than the input justifies.
    /// </summary>
    public static ZoneAggregate Decode(ReadOnlySpan<byte> data, SketchHashKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (data.Length > MaxEncodedLength) throw new ZoneAggregateFormatException($"Zone aggregate: {data.Length} bytes, more than the {MaxEncodedLength} any aggregate has.");
        try
        {
            return DecodeChecked(data, key);
        }
        catch (EpochRecordFormatException e)
        {
            throw new ZoneAggregateFormatException("Zone aggregate: " + e.Message, e);
        }
    }

    private static ZoneAggregate DecodeChecked(ReadOnlySpan<byte> data, SketchHashKey key)
    {
        var reader = new EpochRecordReader(data);
        if (!reader.ReadBytes(4).SequenceEqual(Magic)) throw Invalid("not a zone aggregate (magic)");
        byte version = reader.ReadByte();
        if (version != FormatVersion) throw Invalid($"version {version}, this build reads {FormatVersion}");
        byte kindByte = reader.ReadByte();
        if (kindByte is not ((byte)ZoneAggregateKind.Records or (byte)ZoneAggregateKind.Zones)) throw Invalid($"unknown kind {kindByte}");
        var kind = (ZoneAggregateKind)kindByte;
        string zoneText = ReadShortString(ref reader, "zone path", ZonePath.MaxBytes);
        if (!ZonePath.TryParse(zoneText, out var zone, out string? zoneError)) throw Invalid(zoneError!);
        long start = (long)reader.ReadUInt64();
        long length = (long)reader.ReadUInt64();
        if (length <= 0 || start > long.MaxValue - length) throw Invalid($"period {start}+{length} is empty or ends after representable time");
        string producer = ReadShortString(ref reader, "producer", EpochId.MaxOriginBytes);
        if (producer.Length == 0) throw Invalid("empty producer");

        uint n = reader.ReadUInt32();
        if (n > ZoneManifest.MaxEntries) throw Invalid($"manifest of {n} entries, at most {ZoneManifest.MaxEntries}");
        reader.Require((long)n * (1 + 1 + 8 + 8 + ZoneHash.Length + 4), "manifest entries");
        var entries = new ZoneManifestEntry[n];
        for (int i = 0; i < n; i++)
        {
            string entryKey = ReadShortString(ref reader, "manifest key", EpochId.MaxOriginBytes);
            long s = (long)reader.ReadUInt64();
            long l = (long)reader.ReadUInt64();
            var hash = new ZoneHash(reader.ReadBytes(ZoneHash.Length));
            uint weight = reader.ReadUInt32();
            if (weight > int.MaxValue) throw Invalid($"weight {weight} of {entryKey}");
            if (l <= 0 || s < start || s > long.MaxValue - l || s + l > start + length) throw Invalid($"input {entryKey}@{s}+{l} is not inside the period");
            if (kind == ZoneAggregateKind.Records)
            {
                if (entryKey.Length == 0) throw Invalid("empty origin in the manifest");
                if (weight != 1) throw Invalid($"record {entryKey} weighs {weight}; a record weighs 1");
            }
            else
            {
                if (!ZonePath.TryParse(entryKey, out var child, out _) || child.IsRoot || !child.Parent.Equals(zone)) throw Invalid($"'{entryKey}' is not a child zone of {zone}");
                if (s != start || l != length) throw Invalid($"child {entryKey} covers another period");
            }
            entries[i] = new ZoneManifestEntry(entryKey, s, l, hash, (int)weight);
        }
        string? problem = ZoneManifest.Check(entries);
        if (problem is not null) throw Invalid(problem);
        var manifest = ZoneManifest.FromSorted(entries);

        uint contentsLength = reader.ReadUInt32();
        if (contentsLength > EpochRecord.MaxEncodedLength) throw Invalid($"contents of {contentsLength} bytes");
        reader.Require(contentsLength, "contents");
        var contents = EpochRecord.Decode(reader.ReadBytes((int)contentsLength), key);
        if (contents.Id != new EpochId(ContentsOrigin(zone), start, length)) throw Invalid($"contents are recorded as {contents.Id}, not as this zone's period");
        if (reader.Remaining != 0) throw Invalid($"{reader.Remaining} trailing bytes");
        return new ZoneAggregate(kind, zone, start, length, producer, manifest, contents, data.ToArray());
    }

    private static string ReadShortString(ref EpochRecordReader reader, string what, int maxBytes)
    {
        int n = reader.ReadByte();
        if (n > maxBytes) throw Invalid($"{what} of {n} bytes, at most {maxBytes}");
        var bytes = reader.ReadBytes(n);
        try
        {
            return new UTF8Encoding(false, true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw Invalid($"{what} is not UTF-8");
        }
    }

    private static ZoneAggregateFormatException Invalid(string what) => new($"Zone aggregate: {what}.");

    private static void CheckPeriod(long startMicros, long lengthMicros)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lengthMicros, 0);
        if (startMicros > long.MaxValue - lengthMicros) throw new ArgumentException("The period ends after the end of representable time.");
    }

    private static ZoneAggregate Seal(ZoneAggregateKind kind, ZonePath zone, long start, long length, string producer, ZoneManifest manifest, IReadOnlyList<EpochRecord> inputs)
    {
        ArgumentNullException.ThrowIfNull(producer);
        int producerBytes = Encoding.UTF8.GetByteCount(producer);
        if (producerBytes is < 1 or > EpochId.MaxOriginBytes) throw new ArgumentException($"A producer name is 1..{EpochId.MaxOriginBytes} bytes.", nameof(producer));
        var contents = MergeToRecord(zone, start, length, inputs);
        var writer = new EpochRecordWriter(contents.EncodedLength + 96 * manifest.Entries.Count + 160);
        writer.WriteBytes(Magic);
        writer.WriteByte(FormatVersion);
        writer.WriteByte((byte)kind);
        byte[] zoneBytes = Encoding.UTF8.GetBytes(zone.Text);
        writer.WriteByte((byte)zoneBytes.Length);
        writer.WriteBytes(zoneBytes);
        writer.WriteUInt64((ulong)start);
        writer.WriteUInt64((ulong)length);
        byte[] producerUtf8 = Encoding.UTF8.GetBytes(producer);
        writer.WriteByte((byte)producerUtf8.Length);
        writer.WriteBytes(producerUtf8);
        manifest.Write(writer);
        byte[] contentsBytes = contents.Encode();
        writer.WriteUInt32((uint)contentsBytes.Length);
        writer.WriteBytes(contentsBytes);
        return new ZoneAggregate(kind, zone, start, length, producer, manifest, contents, writer.ToArray());
    }

    /// <summary>The inputs merged in the order given (callers pass the canonical one), as a record of <c>@zone</c>.</summary>
    private static EpochRecord MergeToRecord(ZonePath zone, long start, long length, IReadOnlyList<EpochRecord> inputs)
    {
        var merged = inputs[0].Contents.CreateEmptyLike();
        foreach (var r in inputs)
        {
            if (r.Contents.Parameters != merged.Parameters)
                throw new ArgumentException($"Input {r.Id} was built with other sketch parameters; it cannot be merged.");
            merged.MergeFrom(r.Contents);
        }
        return EpochRecord.FromContents(new EpochId(ContentsOrigin(zone), start, length), merged);
    }

    public override string ToString() => $"{Zone}@{StartMicros}+{LengthMicros} by {Producer} ({Manifest.Entries.Count} inputs, weight {Manifest.TotalWeight}, {_bytes.Length} B)";
}
