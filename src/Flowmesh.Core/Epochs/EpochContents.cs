using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using Flowmesh.Core.Sketches;

namespace Flowmesh.Core.Epochs;

/// <summary>
/// The sketches and counters of one epoch (or of several merged ones), and their binary layout
/// (docs/epoch-records.md). Mutable, hence internal: <see cref="EpochRecord"/> wraps a sealed, never-mutated
/// instance, and the only ways to combine instances are <see cref="EpochRecordSet"/> (exactly once per record)
/// and <see cref="EpochRollup"/> (one origin), because the additive parts double-count when merged twice.
/// </summary>
internal sealed class EpochContents
{
    public const byte FormatVersion = 1;
    /// <summary>Magic through total length: "FMER", version, flags, reserved u16, key fingerprint, total length.</summary>
    public const int FixedHeaderBytes = 20;
    public const int TrailerBytes = 4;
    /// <summary>No valid record is larger; also caps what a decoder looks at.</summary>
    public const int MaxEncodedLength = 1 << 20;
    public const int SectionCount = 16;

    public static ReadOnlySpan<byte> Magic => "FMER"u8;

    public static readonly int[] TopKeyLengths = [TrafficKey.AddressLength, TrafficKey.AddressLength, TrafficKey.PairLength, TrafficKey.FiveTupleLength];
    public static readonly int[] SpreadKeyLengths = [TrafficKey.AddressLength, TrafficKey.PairLength, TrafficKey.AddressLength];
    /// <summary>The top lists a record stores, in layout order; <see cref="TopKind.Ports"/> is derived from flows, not stored.</summary>
    private static readonly TopKind[] StoredTopKinds = [TopKind.Talkers, TopKind.Destinations, TopKind.Pairs, TopKind.Flows];
    private static readonly string[] TopNames = StoredTopKinds.Select(TopKindNames.Name).ToArray();
    private static readonly string[] DistinctNames = ["distinct sources", "distinct destinations", "distinct flows", "distinct ports"];
    private static readonly string[] SpreadNames = ["fan-out hosts", "fan-out ports", "fan-in"];

    private EpochContents(SketchHashKey key, SpaceSavingSummary[] top, HyperLogLog[] distinct, SpreadSketch[] spread, SubnetMatrix matrix)
    {
        Key = key;
        Top = top;
        Distinct = distinct;
        Spread = spread;
        Matrix = matrix;
    }

    public SketchHashKey Key { get; }
    public TrafficCounters[] ByProtocol { get; } = new TrafficCounters[ProtocolClasses.Count];
    public CaptureHealth Health { get; set; }
    /// <summary>Index: <see cref="TopIndex"/>.</summary>
    public SpaceSavingSummary[] Top { get; }
    public HyperLogLog[] Distinct { get; }
    public SpreadSketch[] Spread { get; }
    public SubnetMatrix Matrix { get; set; }
    /// <summary>Optional sections: monitored addresses, monitor traffic, left to peers (empty for records that have none).</summary>
    public RecordExtensions Extensions { get; set; } = new();

    /// <summary>Where the list of <paramref name="kind"/> ranked by <paramref name="measure"/> lies in <see cref="Top"/>: stored kind * 2 + measure.</summary>
    public static int TopIndex(TopKind kind, TrafficMeasure measure)
    {
        int stored = Array.IndexOf(StoredTopKinds, kind);
        if (stored < 0) throw new ArgumentOutOfRangeException(nameof(kind), kind, "records store no such list (ports are derived from flows)");
        return stored * 2 + (int)measure;
    }

    public static EpochContents Create(SketchHashKey key, EpochSummaryOptions options)
    {
        var top = new SpaceSavingSummary[8];
        for (int i = 0; i < top.Length; i++)
            top[i] = new SpaceSavingSummary(key, options.TopCapacity, TopKeyLengths[i / 2]);
        var distinct = new HyperLogLog[4];
        for (int i = 0; i < distinct.Length; i++)
            distinct[i] = new HyperLogLog(key, options.DistinctPrecision);
        var spread = new SpreadSketch[3];
        for (int i = 0; i < spread.Length; i++)
            spread[i] = new SpreadSketch(key, SpreadKeyLengths[i], options.SpreadDepth, options.SpreadWidth, options.SpreadRegisters);
        return new EpochContents(key, top, distinct, spread, new SubnetMatrix(options.MatrixCells));
    }

    /// <summary>An empty instance with the same sketch sizes, to merge others into.</summary>
    public EpochContents CreateEmptyLike()
    {
        var top = Top.Select(t => new SpaceSavingSummary(Key, t.Capacity, t.KeyLength)).ToArray();
        var distinct = Distinct.Select(h => new HyperLogLog(Key, h.Precision)).ToArray();
        var spread = Spread.Select(s => new SpreadSketch(Key, s.KeyLength, s.Depth, s.Width, s.RegistersPerBucket)).ToArray();
        return new EpochContents(Key, top, distinct, spread, new SubnetMatrix(Matrix.Capacity));
    }

    /// <summary>A description of the sketch sizes; only records with equal parameters (and key) can be merged.</summary>
    /// <remarks>
    /// Kept once made (a view compares it for every record and every merge); only the matrix is ever replaced (the
    /// summary's seal), so the text is made again when the matrix's capacity is not the one it was made for.
    /// </remarks>
    public string Parameters
    {
        get
        {
            var made = _parameters;
            if (made is not null && made.MatrixCapacity == Matrix.Capacity) return made.Text;
            var text = $"top k={Top[0].Capacity}, distinct p={Distinct[0].Precision}, spread {Spread[0].Depth}x{Spread[0].Width}x{Spread[0].RegistersPerBucket}, matrix {Matrix.Capacity} cells, key {Key.Fingerprint:x16}";
            _parameters = new ParametersText(text, Matrix.Capacity);
            return text;
        }
    }

    private sealed record ParametersText(string Text, int MatrixCapacity);

    private ParametersText? _parameters;

    /// <summary>Adds <paramref name="other"/> in. Additive: the caller guarantees each record is merged once.</summary>
    public void MergeFrom(EpochContents other) => MergeFrom(other, withListings: true);

    /// <summary>
    /// As <see cref="MergeFrom(EpochContents)"/>; without <paramref name="withListings"/> the announced addresses and the
    /// "left to peer" sections are not carried into the merge. A view reads those from the records themselves, never from
    /// its merged contents, and carrying them re-sorted every list that grew with each record merged (most of a small
    /// record's merge); roll-ups and zone aggregates, which are encoded, keep them.
    /// </summary>
    public void MergeFrom(EpochContents other, bool withListings)
    {
        if (!ReferenceEquals(other.Parameters, Parameters) && other.Parameters != Parameters)
            throw new ArgumentException($"Cannot merge records with different sketch parameters ({other.Parameters} vs {Parameters}).");
        for (int i = 0; i < ByProtocol.Length; i++) ByProtocol[i] += other.ByProtocol[i];
        Health += other.Health;
        for (int i = 0; i < Top.Length; i++) Top[i].Merge(other.Top[i]);
        for (int i = 0; i < Distinct.Length; i++) Distinct[i].Merge(other.Distinct[i]);
        for (int i = 0; i < Spread.Length; i++) Spread[i].Merge(other.Spread[i]);
        Matrix.Merge(other.Matrix);
        Extensions.MergeFrom(other.Extensions, withListings);
    }

    public byte[] Encode(EpochId id)
    {
        id.Validate();
        var writer = new EpochRecordWriter(16 * 1024);
        writer.WriteBytes(Magic);
        writer.WriteByte(FormatVersion);
        // Flag bit 0: an extension block follows the matrix. Records without extensions keep their old bytes.
        writer.WriteByte(Extensions.IsEmpty ? (byte)0 : RecordExtensions.FlagExtensions);
        writer.WriteUInt16(0);
        writer.WriteUInt64(Key.Fingerprint);
        writer.WriteUInt32(0); // total length, patched below
        byte[] origin = Encoding.UTF8.GetBytes(id.Origin);
        writer.WriteByte((byte)origin.Length);
        writer.WriteBytes(origin);
        writer.WriteUInt64((ulong)id.StartMicros);
        writer.WriteUInt64((ulong)id.LengthMicros);
        foreach (var c in ByProtocol)
        {
            writer.WriteUInt64(c.Bytes);
            writer.WriteUInt64(c.Packets);
            writer.WriteUInt64(c.Flows);
        }
        writer.WriteUInt64(Health.Frames);
        writer.WriteUInt64(Health.KernelDrops);
        writer.WriteUInt64(Health.DecodeFailures);
        writer.WriteUInt64(Health.Evictions);
        writer.WriteUInt64(Health.ForeignPackets);
        foreach (var t in Top) writer.WriteSection(t.Serialize());
        foreach (var h in Distinct) writer.WriteSection(h.Serialize());
        foreach (var s in Spread) writer.WriteSection(s.Serialize());
        var matrix = new EpochRecordWriter(Matrix.SerializedSize);
        Matrix.Write(matrix);
        writer.WriteSection(matrix.Written);
        if (!Extensions.IsEmpty) Extensions.Write(writer);
        writer.WriteUInt32(0); // CRC placeholder
        byte[] bytes = writer.ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(16), (uint)bytes.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(bytes.Length - TrailerBytes), Crc32.HashToUInt32(bytes.AsSpan(0, bytes.Length - TrailerBytes)));
        return bytes;
    }

    public static (EpochId Id, EpochContents Contents) Decode(ReadOnlySpan<byte> data, SketchHashKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (data.Length < FixedHeaderBytes + TrailerBytes)
            throw new EpochRecordFormatException($"Epoch record: {data.Length} bytes is shorter than the {FixedHeaderBytes + TrailerBytes}-byte header and trailer.");
        if (data.Length > MaxEncodedLength)
            throw new EpochRecordFormatException($"Epoch record: {data.Length} bytes exceeds the largest valid record ({MaxEncodedLength} bytes).");
        if (!data[..4].SequenceEqual(Magic))
            throw new EpochRecordFormatException("Epoch record: bad magic, not a Flowmesh epoch record.");
        if (data[4] != FormatVersion)
            throw new EpochRecordFormatException($"Epoch record: format version {data[4]} is not supported (this build reads version {FormatVersion}).");
        uint storedCrc = BinaryPrimitives.ReadUInt32LittleEndian(data[^TrailerBytes..]);
        uint actualCrc = Crc32.HashToUInt32(data[..^TrailerBytes]);
        if (storedCrc != actualCrc)
            throw new EpochRecordFormatException($"Epoch record: CRC mismatch (stored {storedCrc:x8}, computed {actualCrc:x8}); the bytes are corrupted.");
        if ((data[5] & ~RecordExtensions.FlagExtensions) != 0 || BinaryPrimitives.ReadUInt16LittleEndian(data[6..]) != 0)
            throw new EpochRecordFormatException("Epoch record: unknown flags or reserved bits set.");
        ulong fingerprint = BinaryPrimitives.ReadUInt64LittleEndian(data[8..]);
        if (fingerprint != key.Fingerprint)
            throw new EpochRecordFormatException($"Epoch record was summarized with another hash key (fingerprint {fingerprint:x16}, expected {key.Fingerprint:x16}); use the key it was written with.");
        uint declared = BinaryPrimitives.ReadUInt32LittleEndian(data[16..]);
        if (declared != data.Length)
            throw new EpochRecordFormatException($"Epoch record: header declares {declared} bytes but {data.Length} were given (truncated or trailing bytes).");

        var reader = new EpochRecordReader(data[FixedHeaderBytes..^TrailerBytes]);
        int originLength = reader.ReadByte();
        if (originLength is < 1 or > EpochId.MaxOriginBytes)
            throw reader.Invalid($"origin length {originLength} is outside 1..{EpochId.MaxOriginBytes}");
        string origin;
        try
        {
            origin = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(reader.ReadBytes(originLength));
        }
        catch (DecoderFallbackException)
        {
            throw reader.Invalid("origin is not valid UTF-8");
        }
        long start = reader.ReadInt64();
        long length = reader.ReadInt64();
        var id = new EpochId(origin, start, length);
        try
        {
            id.Validate();
        }
        catch (ArgumentException e)
        {
            throw reader.Invalid(e.Message.TrimEnd('.'));
        }

        var counters = new TrafficCounters[ProtocolClasses.Count];
        for (int i = 0; i < counters.Length; i++)
            counters[i] = new TrafficCounters(reader.ReadUInt64(), reader.ReadUInt64(), reader.ReadUInt64());
        var health = new CaptureHealth(reader.ReadUInt64(), reader.ReadUInt64(), reader.ReadUInt64(), reader.ReadUInt64(), reader.ReadUInt64());

        int inflateBudget = MaxEncodedLength;
        var top = new SpaceSavingSummary[8];
        for (int i = 0; i < top.Length; i++)
        {
            string name = $"top {TopNames[i / 2]} by {(TrafficMeasure)(i % 2)}";
            top[i] = Section(reader.ReadSection(name, ref inflateBudget), name, key, SpaceSavingSummary.Deserialize);
            if (top[i].KeyLength != TopKeyLengths[i / 2] || (i > 0 && top[i].Capacity != top[0].Capacity))
                throw reader.Invalid($"section {name} has key length {top[i].KeyLength} and capacity {top[i].Capacity}, inconsistent with the layout");
        }
        var distinct = new HyperLogLog[4];
        for (int i = 0; i < distinct.Length; i++)
        {
            distinct[i] = Section(reader.ReadSection(DistinctNames[i], ref inflateBudget), DistinctNames[i], key, HyperLogLog.Deserialize);
            if (distinct[i].Precision != distinct[0].Precision)
                throw reader.Invalid($"section {DistinctNames[i]} has precision {distinct[i].Precision}, unlike the other distinct counters");
        }
        var spread = new SpreadSketch[3];
        for (int i = 0; i < spread.Length; i++)
        {
            spread[i] = Section(reader.ReadSection(SpreadNames[i], ref inflateBudget), SpreadNames[i], key, SpreadSketch.Deserialize);
            var s = spread[i];
            if (s.KeyLength != SpreadKeyLengths[i] || s.Depth != spread[0].Depth || s.Width != spread[0].Width || s.RegistersPerBucket != spread[0].RegistersPerBucket)
                throw reader.Invalid($"section {SpreadNames[i]} has a shape inconsistent with the layout");
        }
        var matrixReader = new EpochRecordReader(reader.ReadSection("matrix", ref inflateBudget));
        var matrix = SubnetMatrix.Read(ref matrixReader);
        if (matrixReader.Remaining != 0)
            throw matrixReader.Invalid($"{matrixReader.Remaining} unexpected bytes after the matrix");
        var all = counters.Aggregate(default(TrafficCounters), (a, b) => a + b);
        var extensions = (data[5] & RecordExtensions.FlagExtensions) != 0
            ? RecordExtensions.Read(ref reader, ref inflateBudget, all, key)
            : new RecordExtensions();
        if (reader.Remaining != 0)
            throw reader.Invalid($"{reader.Remaining} unexpected bytes after the last section");
        if (extensions.OwnedFromMicros is { } ownedFrom && (ownedFrom <= id.StartMicros || ownedFrom > id.EndMicros))
            throw reader.Invalid($"owned-from instant {ownedFrom} is not inside the epoch ({id.StartMicros}, {id.EndMicros}]");
        if (extensions.CountedTwice is { } twice)
            foreach (var e in twice)
                // A record reports epochs sealed before it; a roll-up also those of its own earlier records.
                if (e.StartMicros + e.LengthMicros > id.EndMicros) throw reader.Invalid($"counted-twice epoch at {e.StartMicros} ends after the record");
        if (extensions.OwnedLater is { } later)
            foreach (var (address, from) in later)
            {
                if (extensions.Addresses is null || Array.BinarySearch(extensions.Addresses, address) < 0)
                    throw reader.Invalid($"owned-later address {address} is not among the announced addresses");
                if (from <= id.StartMicros) throw reader.Invalid($"owned-later instant {from} is not after the epoch's start {id.StartMicros}");
            }

        var contents = new EpochContents(key, top, distinct, spread, matrix) { Health = health, Extensions = extensions };
        counters.CopyTo(contents.ByProtocol);
        if (matrix.TotalBytes != all.Bytes || matrix.TotalPackets != all.Packets)
            throw reader.Invalid("the matrix total does not match the record totals");
        for (int i = 0; i < top.Length; i++)
        {
            ulong expected = i % 2 == 0 ? all.Bytes : all.Packets;
            // Flows count both directions of a flow once, talkers/destinations/pairs count each direction once: same total.
            if (top[i].TotalWeight != expected)
                throw reader.Invalid($"top {TopNames[i / 2]} weighs {top[i].TotalWeight}, not the record total {expected}");
        }
        return (id, contents);
    }

    private static T Section<T>(ReadOnlySpan<byte> bytes, string name, SketchHashKey key, SectionDecoder<T> decode)
    {
        try
        {
            return decode(bytes, key);
        }
        catch (SketchFormatException e)
        {
            throw new EpochRecordFormatException($"Epoch record: section {name}: {e.Message}", e);
        }
    }

    private delegate T SectionDecoder<T>(ReadOnlySpan<byte> data, SketchHashKey key);
}
