using System.Security.Cryptography;
using Flowmesh.Core.Sketches;

namespace Flowmesh.Core.Epochs;

/// <summary>
/// One origin's summary of one epoch, sealed: immutable, identified by <see cref="Id"/>, versioned and
/// checksummed (layout in docs/epoch-records.md). Records are combined only through <see cref="EpochRecordSet"/>
/// (across origins, each record exactly once) and <see cref="EpochRollup"/> (longer epochs of one origin).
/// </summary>
public sealed class EpochRecord
{
    /// <summary>No valid encoding is longer; decoders refuse longer input before looking at it.</summary>
    public const int MaxEncodedLength = EpochContents.MaxEncodedLength;

    private readonly byte[] _bytes;

    private EpochRecord(EpochId id, EpochContents contents, byte[] bytes)
    {
        Id = id;
        Contents = contents;
        _bytes = bytes;
        ContentHash = Convert.ToHexStringLower(SHA256.HashData(bytes));
        Totals = new EpochTotals(contents.ByProtocol);
    }

    public EpochId Id { get; }

    /// <summary>SHA-256 of the encoding (hex). The encoding is canonical, so equal content means equal hash.</summary>
    public string ContentHash { get; }

    public ulong KeyFingerprint => Contents.Key.Fingerprint;
    public EpochTotals Totals { get; }
    public CaptureHealth Health => Contents.Health;
    public int EncodedLength => _bytes.Length;

    /// <summary>The addresses the origin monitored during this epoch (null: the record announces none).</summary>
    public IReadOnlyList<Packets.IpAddress128>? MonitoredAddresses => Contents.Extensions.Addresses;

    /// <summary>The origin's capture began inside this epoch: it owns its addresses from this instant (the epoch's end) on, not in this epoch.</summary>
    public long? OwnedFromMicros => Contents.Extensions.OwnedFromMicros;

    /// <summary>Whether the origin owned the addresses it announces during this epoch (it captured the whole epoch).</summary>
    public bool OwnedItsAddresses => MonitoredAddresses is not null && OwnedFromMicros is null && Contents.Extensions.OwnedLater is null;

    /// <summary>Announced addresses the origin owns only from a later instant (the "owned later" extension; null: none).</summary>
    public IReadOnlyList<(Packets.IpAddress128 Address, long FromMicros)>? AddressesOwnedLater => Contents.Extensions.OwnedLater;

    /// <summary>Whether the origin owned <paramref name="address"/> during this epoch: it announces it, captured the whole epoch, and had announced it long enough (not "owned later").</summary>
    public bool Owned(Packets.IpAddress128 address)
    {
        if (MonitoredAddresses is not { } announced || OwnedFromMicros is not null) return false;
        if (Contents.Extensions.OwnedLater is { } later)
            foreach (var (a, _) in later)
                if (a == address) return false;
        foreach (var a in announced)
            if (a == address) return true;
        return false;
    }

    /// <summary>Whether the origin owned at least one address during this epoch.</summary>
    public bool OwnedAnyAddress => MonitoredAddresses is { Count: > 0 } announced && OwnedFromMicros is null
        && (Contents.Extensions.OwnedLater is not { } later || later.Count < announced.Count);

    /// <summary>The zone the origin was in when it sealed this record (null: it said none; an older build, or the root).</summary>
    public Zones.ZonePath? Zone => Contents.Extensions.Zone;

    /// <summary>Flowmesh's own traffic among the flows this record counts.</summary>
    public TrafficCounters MonitorTraffic => Contents.Extensions.Monitor;

    /// <summary>The origin's account of its traffic with each monitored peer (docs/cross-check.md); null: the record has none.</summary>
    public PeerAccounts? PeerAccounts => Contents.Extensions.PeerAccounts;

    /// <summary>What this record left to other origins (docs/epoch-records.md).</summary>
    public IReadOnlyList<LeftToPeer> LeftToPeers => Contents.Extensions.Left;

    /// <summary>Never mutated: merges read it and write into fresh instances.</summary>
    internal EpochContents Contents { get; }

    /// <summary>
    /// The sketch settings the record was built with, as text (sizes and key fingerprint); records merge only when it is
    /// equal. Compare with <see cref="SketchSettingsOf"/> of the cluster's settings (issue 16: the cluster fixes them).
    /// </summary>
    public string SketchSettings => Contents.Parameters;

    /// <summary>The <see cref="SketchSettings"/> text of records sealed with <paramref name="options"/> and <paramref name="key"/>.</summary>
    public static string SketchSettingsOf(SketchHashKey key, EpochSummaryOptions options) => EpochContents.Create(key, options).Parameters;

    /// <summary>The record's bytes (a copy).</summary>
    public byte[] Encode() => (byte[])_bytes.Clone();

    /// <summary>
    /// Decodes and validates a record. Throws <see cref="EpochRecordFormatException"/> for truncated, oversized,
    /// corrupted, wrong-version, wrong-key or inconsistent input.
    /// </summary>
    public static EpochRecord Decode(ReadOnlySpan<byte> data, SketchHashKey key)
    {
        var (id, contents) = EpochContents.Decode(data, key);
        return new EpochRecord(id, contents, data.ToArray());
    }

    internal static EpochRecord FromContents(EpochId id, EpochContents contents) => Decode(contents.Encode(id), contents.Key);

    public override string ToString() => $"{Id} ({_bytes.Length} B, {ContentHash[..12]})";
}
