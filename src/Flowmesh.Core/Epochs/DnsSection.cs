using System.Buffers.Binary;
using Flowmesh.Core.HostContext;
using Flowmesh.Core.Sketches;

namespace Flowmesh.Core.Epochs;

/// <summary>
/// Extension 7, "DNS" (docs/epoch-records.md): the DNS questions the origin asked in the epoch: exact counters (queries,
/// answered, timed out, answers per response code), answer latency (<see cref="QuantileSketch"/>), and the most asked
/// names by queries (Space-Saving, k = <see cref="TopCapacity"/>, keyed by the name's identity; the names' texts unless
/// hashed). Without shared names (privacy "local" or "off") there is no name list at all.
/// </summary>
internal sealed class DnsSection
{
    public const int TopCapacity = 32;
    /// <summary>Response codes 0..14 are counted one by one; slot 15 counts 15 and every extended code above it.</summary>
    public const int ResponseCodeSlots = 16;

    public DnsSection(SketchHashKey key) => Key = key;

    public SketchHashKey Key { get; }
    public ulong Queries { get; private set; }
    public ulong Answered { get; private set; }
    public ulong TimedOut { get; private set; }
    public ulong[] ByResponseCode { get; } = new ulong[ResponseCodeSlots];
    public QuantileSketch Latency { get; private set; } = new();
    /// <summary>Null: names were not shared.</summary>
    public SpaceSavingSummary? Names { get; private set; }
    public Dictionary<ulong, string> Labels { get; } = [];

    /// <summary>Answers other than NOERROR, and timeouts, over queries (0 without queries).</summary>
    public double ErrorRate => Queries == 0 ? 0 : (double)(Queries - ByResponseCode[0]) / Queries;

    public void Add(DnsObservation observation, SharingMode names)
    {
        Queries++;
        if (observation.ResponseCode is { } code)
        {
            Answered++;
            ByResponseCode[Math.Clamp(code, 0, ResponseCodeSlots - 1)]++;
            if (observation.LatencyMicros is { } latency) Latency.Add((ulong)Math.Max(0, latency));
        }
        else TimedOut++;
        if (names is not (SharingMode.Shared or SharingMode.Hashed)) return;
        // DNS names are case-insensitive; a trailing dot is the same name.
        string name = observation.Name.TrimEnd('.').ToLowerInvariant();
        if (name.Length == 0) name = ".";
        ulong identity = HostContextPrivacy.Identity(Key, name);
        Names ??= new SpaceSavingSummary(Key, TopCapacity, sizeof(ulong));
        Span<byte> id = stackalloc byte[sizeof(ulong)];
        BinaryPrimitives.WriteUInt64LittleEndian(id, identity);
        Names.Add(id);
        if (names == SharingMode.Shared && !Labels.ContainsKey(identity) && Labels.Count < 4 * TopCapacity) Labels[identity] = ContextLabels.Clip(name);
    }

    /// <summary>Keeps the labels of listed names only.</summary>
    public void Prune()
    {
        var listed = Listed();
        foreach (var identity in Labels.Keys.Where(i => !listed.Contains(i)).ToList()) Labels.Remove(identity);
    }

    private HashSet<ulong> Listed() =>
        Names is null ? [] : Names.Items().Select(i => BinaryPrimitives.ReadUInt64LittleEndian(i.Key)).ToHashSet();

    public void MergeFrom(DnsSection other)
    {
        Queries += other.Queries;
        Answered += other.Answered;
        TimedOut += other.TimedOut;
        for (int i = 0; i < ResponseCodeSlots; i++) ByResponseCode[i] += other.ByResponseCode[i];
        Latency.Merge(other.Latency);
        if (other.Names is not null)
        {
            Names ??= new SpaceSavingSummary(Key, TopCapacity, sizeof(ulong));
            Names.Merge(other.Names);
        }
        foreach (var (identity, label) in other.Labels) Labels.TryAdd(identity, label);
        Prune();
    }

    /// <summary>
    /// Layout: u64 queries, u64 answered, u64 timed out, 16 × u64 answers per response code, u32 n + latency
    /// (<see cref="QuantileSketch"/>, µs), u8 names present (0/1); when 1: u32 n + Space-Saving (key: identity, 8 bytes
    /// LE) and labels (<see cref="ContextLabels"/>).
    /// </summary>
    public void Write(EpochRecordWriter w)
    {
        w.WriteUInt64(Queries);
        w.WriteUInt64(Answered);
        w.WriteUInt64(TimedOut);
        foreach (ulong c in ByResponseCode) w.WriteUInt64(c);
        byte[] latency = Latency.Serialize();
        w.WriteUInt32((uint)latency.Length);
        w.WriteBytes(latency);
        w.WriteByte(Names is null ? (byte)0 : (byte)1);
        if (Names is null) return;
        byte[] names = Names.Serialize();
        w.WriteUInt32((uint)names.Length);
        w.WriteBytes(names);
        ContextLabels.Write(w, Labels, _ => true);
    }

    public static DnsSection Read(ref EpochRecordReader r, SketchHashKey key)
    {
        var section = new DnsSection(key)
        {
            Queries = r.ReadUInt64(),
            Answered = r.ReadUInt64(),
            TimedOut = r.ReadUInt64(),
        };
        ulong answers = 0;
        for (int i = 0; i < ResponseCodeSlots; i++)
        {
            section.ByResponseCode[i] = r.ReadUInt64();
            answers += section.ByResponseCode[i];
            if (answers < section.ByResponseCode[i] || answers > section.Answered) throw r.Invalid("DNS answers per response code exceed the answered count");
        }
        if (section.Queries > RecordExtensions.MaxFlowCounter || section.Answered > section.Queries || section.Queries - section.Answered != section.TimedOut)
            throw r.Invalid("DNS queries, answers and timeouts do not add up");
        if (answers != section.Answered) throw r.Invalid("DNS answers per response code do not add up to the answered count");
        if (section.Queries == 0) throw r.Invalid("an empty DNS extension");
        try
        {
            uint latencyLength = r.ReadUInt32();
            r.Require(latencyLength, "DNS latency");
            section.Latency = QuantileSketch.Deserialize(r.ReadBytes((int)latencyLength), out int consumed);
            if (consumed != latencyLength) throw r.Invalid("unexpected bytes after the DNS latency");
            if (section.Latency.Count > section.Answered) throw r.Invalid("more DNS latencies than answers");
            byte names = r.ReadByte();
            if (names > 1) throw r.Invalid($"DNS names flag {names} is not 0 or 1");
            if (names == 1)
            {
                uint length = r.ReadUInt32();
                r.Require(length, "DNS names");
                section.Names = SpaceSavingSummary.Deserialize(r.ReadBytes((int)length), key);
                if (section.Names.Capacity != TopCapacity || section.Names.KeyLength != sizeof(ulong))
                    throw r.Invalid($"DNS names have capacity {section.Names.Capacity} and key length {section.Names.KeyLength}, not {TopCapacity} and 8");
                if (section.Names.TotalWeight > section.Queries) throw r.Invalid("DNS names count more queries than the record");
                ContextLabels.Read(ref r, section.Labels, TopCapacity, "DNS name");
                var listed = section.Listed();
                foreach (var identity in section.Labels.Keys)
                    if (!listed.Contains(identity)) throw r.Invalid("a DNS name label names a name the record does not list");
            }
        }
        catch (SketchFormatException e)
        {
            throw r.Invalid($"extension DNS: {e.Message.TrimEnd('.')}");
        }
        return section;
    }
}
