using System.Text;
using Flowmesh.Core.Packets;

namespace Flowmesh.Core.Epochs;

/// <summary>Flowmesh's own traffic between two addresses in one direction, among the flows a record counted.</summary>
public readonly record struct MonitorPairTraffic(IpAddress128 Source, IpAddress128 Destination, ulong Bytes, ulong Packets);

/// <summary>
/// One flow an agent saw but left to its owner (<see cref="FlowOwnership"/>), with its traffic in the epoch, oriented
/// like a <see cref="Flows.FlowTableDelta"/> (source = initiator).
/// </summary>
public readonly record struct LeftFlow(
    byte Protocol, IpAddress128 Source, ushort SourcePort, IpAddress128 Destination, ushort DestinationPort,
    ulong Bytes, ulong Packets, ulong ReverseBytes, ulong ReversePackets, bool StartsRecord, bool Monitor)
{
    internal (byte, IpAddress128, ushort, IpAddress128, ushort) Key => (Protocol, Source, SourcePort, Destination, DestinationPort);

    internal static int Compare(LeftFlow a, LeftFlow b)
    {
        int c = a.Protocol.CompareTo(b.Protocol);
        if (c == 0) c = a.Source.CompareTo(b.Source);
        if (c == 0) c = a.SourcePort.CompareTo(b.SourcePort);
        if (c == 0) c = a.Destination.CompareTo(b.Destination);
        if (c == 0) c = a.DestinationPort.CompareTo(b.DestinationPort);
        return c;
    }
}

/// <summary>
/// What one epoch of an origin left to peer <see cref="Peer"/>: the heaviest flows listed one by one, the rest as
/// exact counters. The global view uses it only where the peer has no record for that epoch (docs/global-view.md).
/// </summary>
/// <param name="UnlistedByProtocol">Traffic of flows past the listing caps, per <see cref="ProtocolClass"/>.</param>
/// <param name="UnlistedMonitor">The part of the unlisted traffic that was Flowmesh's own.</param>
public sealed record LeftToPeer(string Peer, long StartMicros, long LengthMicros, IReadOnlyList<LeftFlow> Flows, IReadOnlyList<TrafficCounters> UnlistedByProtocol, TrafficCounters UnlistedMonitor)
{
    public long EndMicros => StartMicros + LengthMicros;

    public TrafficCounters Unlisted
    {
        get
        {
            var all = default(TrafficCounters);
            foreach (var c in UnlistedByProtocol) all += c;
            return all;
        }
    }
}

/// <summary>
/// The optional record sections added in format 1 behind flag bit 0 (docs/epoch-records.md, "extensions"): the
/// monitored addresses, Flowmesh's own traffic, and what was left to peers. A record without any of them encodes
/// exactly as before, so older records keep their bytes and hashes. Unknown extension types are kept verbatim.
/// </summary>
internal sealed class RecordExtensions
{
    public const byte FlagExtensions = 1;
    public const byte TypeAddresses = 1;
    public const byte TypeMonitor = 2;
    public const byte TypeLeft = 3;
    public const byte TypeOwnedFrom = 4;
    public const byte TypeZone = 5;
    public const byte TypePrograms = 6;
    public const byte TypeDns = 7;
    public const byte TypeRtt = 8;
    public const byte TypePeerAccounts = 9;
    public const byte TypeOwnedLater = 12;
    public const byte TypeCountedTwice = 13;
    public const int MaxCountedTwice = 1024;
    public const int MaxAddresses = 1024;
    public const int MaxMonitorPairs = 256;
    public const int MaxLeftSections = 1024;
    public const int MaxLeftFlowsPerPeer = 128;
    public const int MaxLeftFlows = 1024;
    /// <summary>2^48: no flow carries that much in one epoch; keeps every sum and signed conversion in range.</summary>
    public const ulong MaxFlowCounter = 1UL << 48;

    /// <summary>Monitored addresses, ascending (null: none announced).</summary>
    public IpAddress128[]? Addresses { get; set; }
    public TrafficCounters Monitor { get; set; }
    /// <summary>Listed monitor traffic per directed pair, sorted by (source, destination); the rest of <see cref="Monitor"/> is unlisted.</summary>
    public List<MonitorPairTraffic> MonitorPairs { get; } = [];
    public List<LeftToPeer> Left { get; } = [];
    /// <summary>
    /// Set when the origin's capture began inside this epoch: the instant (the next epoch boundary) from which it owns
    /// its <see cref="Addresses"/>. In this epoch it owned none of them, so the view takes its peers' "left to peer"
    /// entries for it (they saw the whole epoch; it saw only the end). Null: owned throughout.
    /// </summary>
    public long? OwnedFromMicros { get; set; }
    /// <summary>
    /// Announced addresses the origin did not own yet during this epoch, ascending, each with the instant it owns it
    /// from (after the epoch's start; possibly after its end). An address is announced at least one epoch before it
    /// is owned, so peers know it in time (docs/epoch-records.md, "Hand-over"). Null: every announced address owned.
    /// </summary>
    public List<(IpAddress128 Address, long FromMicros)>? OwnedLater { get; set; }
    /// <summary>
    /// Traffic this origin counted in earlier epochs that another agent owned and counted too (it learned of that
    /// owner late; <see cref="LateOwnershipLedger"/>), sorted. The view takes it out where the owner's record shows it owned the address.
    /// </summary>
    public List<CountedTwice>? CountedTwice { get; set; }
    /// <summary>
    /// The zone the origin was in when it sealed the record (docs/zones.md "Zone paths"); null: none said (the root,
    /// or an older build). A merge keeps it only when every merged record says the same zone.
    /// </summary>
    public Zones.ZonePath? Zone { get; set; }
    private bool _zoneMerged;
    /// <summary>Programs behind the flows (issue 17; null: none known or none shared).</summary>
    public ProgramSection? Programs { get; set; }
    /// <summary>DNS questions asked (null: none observed).</summary>
    public DnsSection? Dns { get; set; }
    /// <summary>TCP RTT quantiles per remote subnet (null: no RTT measured).</summary>
    public RttSection? Rtt { get; set; }
    /// <summary>The origin's account of its traffic with each monitored peer (null: not written, an older build or no automatic ownership).</summary>
    public PeerAccounts? PeerAccounts { get; set; }
    /// <summary>Extensions this build does not know: (type, version, encoded section bytes), re-emitted as they came.</summary>
    public List<(byte Type, byte Version, byte[] Section)> Unknown { get; } = [];

    public bool IsEmpty => Addresses is null && OwnedFromMicros is null && OwnedLater is null && CountedTwice is null && Zone is null && Monitor == default && MonitorPairs.Count == 0 && Left.Count == 0 && Unknown.Count == 0
        && (Programs is null || Programs.IsEmpty) && (Dns is null || Dns.Queries == 0) && (Rtt is null || Rtt.IsEmpty) && PeerAccounts is null;

    public void MergeFrom(RecordExtensions other) => MergeFrom(other, withListings: true);

    /// <summary>Adds <paramref name="other"/> in; without <paramref name="withListings"/>, not its addresses and "left to peer" sections (see <see cref="EpochContents.MergeFrom(EpochContents, bool)"/>).</summary>
    public void MergeFrom(RecordExtensions other, bool withListings)
    {
        if (withListings && other.Addresses is not null)
            Addresses = (Addresses ?? []).Concat(other.Addresses).Distinct().Order().ToArray();
        Monitor += other.Monitor;
        if (other.MonitorPairs.Count > 0)
        {
            var sums = MonitorPairs.ToDictionary(p => (p.Source, p.Destination), p => (p.Bytes, p.Packets));
            foreach (var p in other.MonitorPairs)
            {
                sums.TryGetValue((p.Source, p.Destination), out var s);
                sums[(p.Source, p.Destination)] = (s.Bytes + p.Bytes, s.Packets + p.Packets);
            }
            MonitorPairs.Clear();
            MonitorPairs.AddRange(sums.Select(p => new MonitorPairTraffic(p.Key.Source, p.Key.Destination, p.Value.Bytes, p.Value.Packets)));
            SortPairs(MonitorPairs);
        }
        if (withListings && other.Left.Count > 0)
        {
            Left.AddRange(other.Left);
            CoalesceSections(Left);
        }
        if (other.Programs is not null) (Programs ??= new ProgramSection(other.Programs.Key)).MergeFrom(other.Programs);
        if (other.Dns is not null) (Dns ??= new DnsSection(other.Dns.Key)).MergeFrom(other.Dns);
        if (other.Rtt is not null) (Rtt ??= new RttSection()).MergeFrom(other.Rtt);
        if (withListings && other.PeerAccounts is not null) PeerAccounts = PeerAccounts is null ? other.PeerAccounts : Epochs.PeerAccounts.Merge(PeerAccounts, other.PeerAccounts);
        // A roll-up of an origin that moved, or an aggregate across zones, belongs to no one zone.
        Zone = !_zoneMerged || Equals(Zone, other.Zone) ? other.Zone : null;
        _zoneMerged = true;
        // Which of the merged epochs the mark belonged to is lost in a merge: the merged record claims ownership
        // throughout, as most of its epochs did (the view reads the mark from the original records).
        OwnedFromMicros = null;
        OwnedLater = null;
        if (withListings && other.CountedTwice is not null)
        {
            CountedTwice = Epochs.CountedTwice.Coalesce((CountedTwice ?? []).Concat(other.CountedTwice));
        }
    }

    private static void SortPairs(List<MonitorPairTraffic> pairs) =>
        pairs.Sort((a, b) => a.Source != b.Source ? a.Source.CompareTo(b.Source) : a.Destination.CompareTo(b.Destination));

    /// <summary>
    /// Sorts the sections and makes one of each (peer, epoch): in a zone aggregate, several origins of the zone leave
    /// flows to the same peer in the same epoch, and two sections with one key are not a valid record (a producer's
    /// merge failed on them: "left-to-peer sections are not in order"). The merged section lists the heaviest
    /// <see cref="MaxLeftFlowsPerPeer"/> flows, the same flow's traffic summed, and the rest as unlisted counters.
    /// </summary>
    private static void CoalesceSections(List<LeftToPeer> sections)
    {
        sections.Sort(CompareSections);
        for (int i = sections.Count - 1; i > 0; i--)
        {
            if (CompareSections(sections[i - 1], sections[i]) != 0) continue;
            sections[i - 1] = MergeSections(sections[i - 1], sections[i]);
            sections.RemoveAt(i);
        }
    }

    private static LeftToPeer MergeSections(LeftToPeer a, LeftToPeer b)
    {
        var flows = new Dictionary<(byte, IpAddress128, ushort, IpAddress128, ushort), LeftFlow>();
        foreach (var f in a.Flows.Concat(b.Flows))
            flows[f.Key] = flows.TryGetValue(f.Key, out var g)
                ? g with
                {
                    Bytes = g.Bytes + f.Bytes, Packets = g.Packets + f.Packets, ReverseBytes = g.ReverseBytes + f.ReverseBytes,
                    ReversePackets = g.ReversePackets + f.ReversePackets, StartsRecord = g.StartsRecord || f.StartsRecord,
                }
                : f;
        var unlisted = new TrafficCounters[ProtocolClasses.Count];
        for (int i = 0; i < unlisted.Length; i++) unlisted[i] = a.UnlistedByProtocol[i] + b.UnlistedByProtocol[i];
        var monitor = a.UnlistedMonitor + b.UnlistedMonitor;
        var ranked = flows.Values.ToList();
        ranked.Sort((x, y) => (y.Bytes + y.ReverseBytes).CompareTo(x.Bytes + x.ReverseBytes) is var c and not 0 ? c : LeftFlow.Compare(x, y));
        foreach (var f in ranked.Skip(MaxLeftFlowsPerPeer))
        {
            var counters = new TrafficCounters(f.Bytes + f.ReverseBytes, f.Packets + f.ReversePackets, f.StartsRecord ? 1UL : 0UL);
            unlisted[(int)ProtocolClasses.Of(f.Protocol)] += counters;
            if (f.Monitor) monitor += counters;
        }
        return new LeftToPeer(a.Peer, a.StartMicros, a.LengthMicros, [.. ranked.Take(MaxLeftFlowsPerPeer)], unlisted, monitor);
    }

    private static int CompareSections(LeftToPeer a, LeftToPeer b)
    {
        int c = string.CompareOrdinal(a.Peer, b.Peer);
        if (c == 0) c = a.StartMicros.CompareTo(b.StartMicros);
        if (c == 0) c = a.LengthMicros.CompareTo(b.LengthMicros);
        return c;
    }

    /// <summary>Writes the extension block (the caller sets the flag bit when it is not empty). Caps applied here keep the record bounded.</summary>
    public void Write(EpochRecordWriter writer)
    {
        var blocks = new List<(byte Type, byte Version, byte[]? Payload, byte[]? Verbatim)>();
        if (Addresses is { } addresses)
        {
            var w = new EpochRecordWriter(2 + addresses.Length * 16);
            var list = addresses.Distinct().Order().Take(MaxAddresses).ToArray();
            w.WriteUInt16((ushort)list.Length);
            Span<byte> a = stackalloc byte[16];
            foreach (var address in list)
            {
                TrafficKey.WriteAddress(a, address);
                w.WriteBytes(a);
            }
            blocks.Add((TypeAddresses, 1, w.ToArray(), null));
        }
        if (Monitor != default || MonitorPairs.Count > 0)
        {
            var w = new EpochRecordWriter(32 + MonitorPairs.Count * 48);
            w.WriteUInt64(Monitor.Bytes);
            w.WriteUInt64(Monitor.Packets);
            w.WriteUInt64(Monitor.Flows);
            // The heaviest pairs when capped, written in key order.
            var pairs = MonitorPairs.OrderByDescending(p => p.Bytes).ThenBy(p => p.Source).ThenBy(p => p.Destination).Take(MaxMonitorPairs).ToList();
            SortPairs(pairs);
            w.WriteUInt16((ushort)pairs.Count);
            Span<byte> a = stackalloc byte[16];
            foreach (var p in pairs)
            {
                TrafficKey.WriteAddress(a, p.Source);
                w.WriteBytes(a);
                TrafficKey.WriteAddress(a, p.Destination);
                w.WriteBytes(a);
                w.WriteUInt64(p.Bytes);
                w.WriteUInt64(p.Packets);
            }
            blocks.Add((TypeMonitor, 1, w.ToArray(), null));
        }
        if (Left.Count > 0)
        {
            var w = new EpochRecordWriter(1024);
            var sections = Left.Take(MaxLeftSections).ToList();
            sections.Sort(CompareSections);
            w.WriteUInt16((ushort)sections.Count);
            Span<byte> a = stackalloc byte[16];
            foreach (var s in sections)
            {
                byte[] peer = Encoding.UTF8.GetBytes(s.Peer);
                w.WriteByte((byte)peer.Length);
                w.WriteBytes(peer);
                w.WriteUInt64((ulong)s.StartMicros);
                w.WriteUInt64((ulong)s.LengthMicros);
                var flows = s.Flows.ToList();
                flows.Sort(LeftFlow.Compare);
                w.WriteUInt16((ushort)flows.Count);
                foreach (var f in flows)
                {
                    w.WriteByte(f.Protocol);
                    TrafficKey.WriteAddress(a, f.Source);
                    w.WriteBytes(a);
                    w.WriteUInt16(f.SourcePort);
                    TrafficKey.WriteAddress(a, f.Destination);
                    w.WriteBytes(a);
                    w.WriteUInt16(f.DestinationPort);
                    w.WriteUInt64(f.Bytes);
                    w.WriteUInt64(f.Packets);
                    w.WriteUInt64(f.ReverseBytes);
                    w.WriteUInt64(f.ReversePackets);
                    w.WriteByte((byte)((f.StartsRecord ? 1 : 0) | (f.Monitor ? 2 : 0)));
                }
                foreach (var c in s.UnlistedByProtocol) WriteCounters(w, c);
                WriteCounters(w, s.UnlistedMonitor);
            }
            blocks.Add((TypeLeft, 1, w.ToArray(), null));
        }
        if (OwnedFromMicros is { } ownedFrom)
        {
            var w = new EpochRecordWriter(8);
            w.WriteUInt64((ulong)ownedFrom);
            blocks.Add((TypeOwnedFrom, 1, w.ToArray(), null));
        }
        if (OwnedLater is { Count: > 0 } later)
        {
            var list = later.DistinctBy(e => e.Address).OrderBy(e => e.Address).Take(MaxAddresses).ToList();
            var w = new EpochRecordWriter(2 + list.Count * 24);
            w.WriteUInt16((ushort)list.Count);
            Span<byte> a = stackalloc byte[16];
            foreach (var (address, from) in list)
            {
                TrafficKey.WriteAddress(a, address);
                w.WriteBytes(a);
                w.WriteUInt64((ulong)from);
            }
            blocks.Add((TypeOwnedLater, 1, w.ToArray(), null));
        }
        if (CountedTwice is { Count: > 0 } twice)
        {
            var list = Epochs.CountedTwice.Coalesce(twice).Take(MaxCountedTwice).ToList();
            var w = new EpochRecordWriter(2 + list.Count * 80);
            w.WriteUInt16((ushort)list.Count);
            Span<byte> a = stackalloc byte[16];
            foreach (var e in list)
            {
                w.WriteUInt64((ulong)e.StartMicros);
                w.WriteUInt64((ulong)e.LengthMicros);
                byte[] owner = Encoding.UTF8.GetBytes(e.Owner);
                w.WriteByte((byte)owner.Length);
                w.WriteBytes(owner);
                TrafficKey.WriteAddress(a, e.Address);
                w.WriteBytes(a);
                w.WriteByte(e.ProtocolClass);
                WriteCounters(w, e.Traffic);
            }
            blocks.Add((TypeCountedTwice, 1, w.ToArray(), null));
        }
        if (Zone is { IsRoot: false } zone)
        {
            var w = new EpochRecordWriter(1 + zone.Text.Length);
            w.WriteByte((byte)zone.Text.Length);
            w.WriteBytes(Encoding.ASCII.GetBytes(zone.Text));
            blocks.Add((TypeZone, 1, w.ToArray(), null));
        }
        if (Programs is { IsEmpty: false } programs)
        {
            var w = new EpochRecordWriter(1024);
            programs.Write(w);
            blocks.Add((TypePrograms, 1, w.ToArray(), null));
        }
        if (Dns is { Queries: > 0 } dns)
        {
            var w = new EpochRecordWriter(512);
            dns.Write(w);
            blocks.Add((TypeDns, 1, w.ToArray(), null));
        }
        if (Rtt is { IsEmpty: false } rtt)
        {
            var w = new EpochRecordWriter(512);
            rtt.Write(w);
            blocks.Add((TypeRtt, 1, w.ToArray(), null));
        }
        if (PeerAccounts is { } accounts)
        {
            var w = new EpochRecordWriter(16 + accounts.Accounts.Count * 64);
            accounts.Write(w);
            blocks.Add((TypePeerAccounts, 1, w.ToArray(), null));
        }
        foreach (var u in Unknown) blocks.Add((u.Type, u.Version, null, u.Section));
        blocks.Sort((x, y) => x.Type.CompareTo(y.Type));
        writer.WriteByte((byte)blocks.Count);
        foreach (var b in blocks)
        {
            writer.WriteByte(b.Type);
            writer.WriteByte(b.Version);
            if (b.Verbatim is not null) writer.WriteBytes(b.Verbatim);
            else writer.WriteSection(b.Payload);
        }
    }

    private static void WriteCounters(EpochRecordWriter w, TrafficCounters c)
    {
        w.WriteUInt64(c.Bytes);
        w.WriteUInt64(c.Packets);
        w.WriteUInt64(c.Flows);
    }

    /// <summary>Reads the extension block; every list must be in canonical order so a valid record re-encodes to its own bytes.</summary>
    public static RecordExtensions Read(ref EpochRecordReader reader, ref int inflateBudget, TrafficCounters recordTotal, Sketches.SketchHashKey key)
    {
        var result = new RecordExtensions();
        int count = reader.ReadByte();
        if (count == 0) throw reader.Invalid("the extension flag is set but no extension follows");
        int previousType = -1;
        for (int i = 0; i < count; i++)
        {
            byte type = reader.ReadByte();
            byte version = reader.ReadByte();
            if (type <= previousType) throw reader.Invalid($"extension {type} is out of order or repeated");
            previousType = type;
            int sectionStart = reader.Position;
            var payload = reader.ReadSection($"extension {type}", ref inflateBudget);
            if (version != 1 || type is not (TypeAddresses or TypeMonitor or TypeLeft or TypeOwnedFrom or TypeZone or TypePrograms or TypeDns or TypeRtt or TypeOwnedLater or TypeCountedTwice or TypePeerAccounts))
            {
                // Written by a newer build: kept verbatim. The section framing was still checked.
                int sectionEnd = reader.Position;
                result.Unknown.Add((type, version, reader.Slice(sectionStart, sectionEnd - sectionStart).ToArray()));
                continue;
            }
            var r = new EpochRecordReader(payload);
            switch (type)
            {
                case TypeAddresses: result.Addresses = ReadAddresses(ref r); break;
                case TypeMonitor: ReadMonitor(ref r, result, recordTotal); break;
                case TypeLeft: ReadLeft(ref r, result); break;
                case TypeOwnedFrom: result.OwnedFromMicros = ReadOwnedFrom(ref r); break;
                case TypeZone: result.Zone = ReadZone(ref r); break;
                case TypePrograms: result.Programs = ProgramSection.Read(ref r, key); break;
                case TypeDns: result.Dns = DnsSection.Read(ref r, key); break;
                case TypeRtt: result.Rtt = RttSection.Read(ref r); break;
                case TypeOwnedLater: result.OwnedLater = ReadOwnedLater(ref r); break;
                case TypeCountedTwice: result.CountedTwice = ReadCountedTwice(ref r); break;
                case TypePeerAccounts: result.PeerAccounts = Epochs.PeerAccounts.Read(ref r); break;
            }
            if (r.Remaining != 0) throw r.Invalid($"{r.Remaining} unexpected bytes after extension {type}");
        }
        if (result.IsEmpty) throw reader.Invalid("the extension block holds nothing");
        return result;
    }

    private static Zones.ZonePath ReadZone(ref EpochRecordReader r)
    {
        int n = r.ReadByte();
        if (n is < 1 or > Zones.ZonePath.MaxBytes) throw r.Invalid($"zone path length {n} is outside 1..{Zones.ZonePath.MaxBytes}");
        var bytes = r.ReadBytes(n);
        foreach (byte b in bytes)
            if (b >= 0x80) throw r.Invalid("the zone path is not ASCII");
        if (!Zones.ZonePath.TryParse(Encoding.ASCII.GetString(bytes), out var zone, out string? error)) throw r.Invalid(error!.TrimEnd('.'));
        return zone;
    }

    private static long ReadOwnedFrom(ref EpochRecordReader r)
    {
        ulong value = r.ReadUInt64();
        if (value == 0 || value > long.MaxValue) throw r.Invalid($"owned-from instant {value} is out of range");
        return (long)value;
    }

    private static List<(IpAddress128, long)> ReadOwnedLater(ref EpochRecordReader r)
    {
        int n = r.ReadUInt16();
        if (n is 0 or > MaxAddresses) throw r.Invalid($"{n} owned-later addresses, not 1..{MaxAddresses}");
        r.Require(n * 24L, "owned-later addresses");
        var list = new List<(IpAddress128, long)>(n);
        for (int i = 0; i < n; i++)
        {
            var address = TrafficKey.ReadAddress(r.ReadBytes(16));
            if (i > 0 && address <= list[i - 1].Item1) throw r.Invalid("owned-later addresses are not in ascending order");
            list.Add((address, ReadOwnedFrom(ref r)));
        }
        return list;
    }

    private static List<CountedTwice> ReadCountedTwice(ref EpochRecordReader r)
    {
        int n = r.ReadUInt16();
        if (n is 0 or > MaxCountedTwice) throw r.Invalid($"{n} counted-twice entries, not 1..{MaxCountedTwice}");
        var list = new List<CountedTwice>(Math.Min(n, 64));
        for (int i = 0; i < n; i++)
        {
            ulong start = r.ReadUInt64(), length = r.ReadUInt64();
            if (start == 0 || start > long.MaxValue / 2 || length == 0 || length > long.MaxValue / 2)
                throw r.Invalid($"counted-twice epoch ({start}, {length}) is out of range");
            int nameLength = r.ReadByte();
            if (nameLength is 0 or > 64) throw r.Invalid($"counted-twice owner name of {nameLength} bytes");
            string owner;
            try
            {
                owner = new UTF8Encoding(false, true).GetString(r.ReadBytes(nameLength));
            }
            catch (DecoderFallbackException)
            {
                throw r.Invalid("counted-twice owner name is not UTF-8");
            }
            var address = TrafficKey.ReadAddress(r.ReadBytes(16));
            byte protocolClass = r.ReadByte();
            if (protocolClass >= ProtocolClasses.Count) throw r.Invalid($"counted-twice protocol class {protocolClass}");
            var traffic = new TrafficCounters(r.ReadUInt64(), r.ReadUInt64(), r.ReadUInt64());
            if (traffic.Bytes > MaxFlowCounter * 1024 || traffic.Packets > MaxFlowCounter || traffic.Flows > traffic.Packets || (traffic.Packets == 0 && traffic.Bytes != 0))
                throw r.Invalid("counted-twice traffic is out of range");
            var entry = new CountedTwice((long)start, (long)length, owner, address, protocolClass, traffic);
            if (i > 0 && Epochs.CountedTwice.Compare(list[i - 1], entry) >= 0) throw r.Invalid("counted-twice entries are not in canonical order");
            list.Add(entry);
        }
        return list;
    }

    private static IpAddress128[] ReadAddresses(ref EpochRecordReader r)
    {
        int n = r.ReadUInt16();
        if (n > MaxAddresses) throw r.Invalid($"{n} monitored addresses, more than {MaxAddresses}");
        r.Require(n * 16L, "monitored addresses");
        var list = new IpAddress128[n];
        for (int i = 0; i < n; i++)
        {
            list[i] = TrafficKey.ReadAddress(r.ReadBytes(16));
            if (i > 0 && list[i] <= list[i - 1]) throw r.Invalid("monitored addresses are not in ascending order");
        }
        return list;
    }

    private static void ReadMonitor(ref EpochRecordReader r, RecordExtensions result, TrafficCounters recordTotal)
    {
        var total = new TrafficCounters(r.ReadUInt64(), r.ReadUInt64(), r.ReadUInt64());
        if (total.Bytes > recordTotal.Bytes || total.Packets > recordTotal.Packets || total.Flows > recordTotal.Flows)
            throw r.Invalid("monitor traffic exceeds the record total");
        if (total.Packets == 0 && total.Bytes != 0) throw r.Invalid("monitor traffic has bytes without packets");
        int n = r.ReadUInt16();
        if (n > MaxMonitorPairs) throw r.Invalid($"{n} monitor pairs, more than {MaxMonitorPairs}");
        r.Require(n * 48L, "monitor pairs");
        ulong bytes = 0, packets = 0;
        for (int i = 0; i < n; i++)
        {
            var p = new MonitorPairTraffic(TrafficKey.ReadAddress(r.ReadBytes(16)), TrafficKey.ReadAddress(r.ReadBytes(16)), r.ReadUInt64(), r.ReadUInt64());
            if (p.Packets == 0 || p.Bytes < p.Packets) throw r.Invalid("a monitor pair has no packets or fewer bytes than packets");
            if (i > 0)
            {
                var q = result.MonitorPairs[^1];
                if (p.Source < q.Source || (p.Source == q.Source && p.Destination <= q.Destination)) throw r.Invalid("monitor pairs are not in order");
            }
            bytes += p.Bytes;
            packets += p.Packets;
            if (bytes > total.Bytes || packets > total.Packets) throw r.Invalid("monitor pairs exceed the monitor total");
            result.MonitorPairs.Add(p);
        }
        if (total == default && n == 0) throw r.Invalid("an empty monitor extension");
        result.Monitor = total;
    }

    private static void ReadLeft(ref EpochRecordReader r, RecordExtensions result)
    {
        int sections = r.ReadUInt16();
        if (sections is 0 or > MaxLeftSections) throw r.Invalid($"{sections} left-to-peer sections, outside 1..{MaxLeftSections}");
        int flowsTotal = 0;
        LeftToPeer? previous = null;
        for (int s = 0; s < sections; s++)
        {
            int length = r.ReadByte();
            if (length is < 1 or > EpochId.MaxOriginBytes) throw r.Invalid($"peer name length {length} is outside 1..{EpochId.MaxOriginBytes}");
            string peer;
            try
            {
                peer = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(r.ReadBytes(length));
            }
            catch (DecoderFallbackException)
            {
                throw r.Invalid("a peer name is not valid UTF-8");
            }
            long start = r.ReadInt64(), epochLength = r.ReadInt64();
            try
            {
                new EpochId(peer, start, epochLength).Validate();
            }
            catch (ArgumentException e)
            {
                throw r.Invalid($"left-to-peer section: {e.Message.TrimEnd('.')}");
            }
            int n = r.ReadUInt16();
            flowsTotal += n;
            if (flowsTotal > MaxLeftFlows * 16) throw r.Invalid("too many left flows");
            r.Require(n * 70L, "left flows"); // 1 + 16 + 2 + 16 + 2 + 4 x 8 + 1
            var flows = new LeftFlow[n];
            for (int i = 0; i < n; i++)
            {
                byte protocol = r.ReadByte();
                var src = TrafficKey.ReadAddress(r.ReadBytes(16));
                ushort sport = r.ReadUInt16();
                var dst = TrafficKey.ReadAddress(r.ReadBytes(16));
                ushort dport = r.ReadUInt16();
                ulong b = r.ReadUInt64(), p = r.ReadUInt64(), rb = r.ReadUInt64(), rp = r.ReadUInt64();
                byte flags = r.ReadByte();
                if (flags > 3) throw r.Invalid("a left flow has unknown flags");
                if ((p == 0 && b != 0) || (rp == 0 && rb != 0) || (p == 0 && rp == 0)) throw r.Invalid("a left flow has bytes without packets or no packets");
                if ((b | p | rb | rp) > MaxFlowCounter) throw r.Invalid("a left flow counter is implausibly large");
                flows[i] = new LeftFlow(protocol, src, sport, dst, dport, b, p, rb, rp, (flags & 1) != 0, (flags & 2) != 0);
                if (i > 0 && LeftFlow.Compare(flows[i - 1], flows[i]) >= 0) throw r.Invalid("left flows are not in order");
            }
            var unlisted = new TrafficCounters[ProtocolClasses.Count];
            var unlistedAll = default(TrafficCounters);
            for (int i = 0; i < unlisted.Length; i++)
            {
                unlisted[i] = ReadCounters(ref r);
                unlistedAll += unlisted[i];
            }
            var monitor = ReadCounters(ref r);
            if (monitor.Bytes > unlistedAll.Bytes || monitor.Packets > unlistedAll.Packets || monitor.Flows > unlistedAll.Flows)
                throw r.Invalid("unlisted monitor traffic exceeds the unlisted traffic");
            if (n == 0 && unlistedAll == default) throw r.Invalid("an empty left-to-peer section");
            var section = new LeftToPeer(peer, start, epochLength, flows, unlisted, monitor);
            if (previous is not null && CompareSections(previous, section) >= 0) throw r.Invalid("left-to-peer sections are not in order");
            previous = section;
            result.Left.Add(section);
        }
    }

    private static TrafficCounters ReadCounters(ref EpochRecordReader r)
    {
        var c = new TrafficCounters(r.ReadUInt64(), r.ReadUInt64(), r.ReadUInt64());
        if (c.Packets == 0 && c.Bytes != 0) throw r.Invalid("counters with bytes but no packets");
        return c;
    }
}
