using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Flowmesh.Capture;
using Flowmesh.Capture.Ebpf;
using Flowmesh.Capture.Live;
using Flowmesh.Core.Epochs;
using Flowmesh.Core.Packets;
using Flowmesh.Core.Sketches;
using Flowmesh.Gossip.Discovery;
using Flowmesh.Gossip.Records;
using Flowmesh.Gossip.Security;

namespace Flowmesh.Agent.Hosting;

/// <summary>
/// Keeps the agent's automatic flow ownership current (issue 12): this PC's addresses are every unicast address of
/// every captured interface (IPv4 and IPv6, loopback never; re-read on every <see cref="Refresh"/>, once a second),
/// and the other origins' addresses are those their newest record announces, as long as that record is younger than
/// <see cref="AnnouncementLifetime"/>. A live member with no such record yet (it joined less than that lifetime ago) is
/// taken to own the address it gossips from until its first record says otherwise: membership reaches every peer within a gossip
/// round, a record only after the member's first epoch, and a flow whose lower end belongs to a newcomer must not be
/// counted by both ends meanwhile (the summary decides such flows at the seal, <see cref="ProvisionalFlows"/>). The
/// same pass refreshes the endpoints that mark Flowmesh's own traffic. The sealed records announce
/// <see cref="Ownership"/>'s local addresses, so every agent learns every other's.
/// </summary>
/// <remarks>
/// An owner that stops sealing keeps its addresses for the lifetime: meanwhile its peers leave their shared flows
/// to it and list them in their "left to peer" sections, which the view counts while the owner's records are
/// missing; after the lifetime the peers count those flows themselves. Either way each flow is counted once.
/// </remarks>
internal sealed class AddressOwnership
{
    private readonly string _self;
    private readonly IRecordStore _store;
    private readonly SketchHashKey _sketchKey;
    private readonly Dictionary<string, (long NewestStart, IpAddress128[] Addresses, Dictionary<IpAddress128, long>? OwnedFrom)> _announced = new(StringComparer.Ordinal);
    // When each local address was first seen on a captured interface, and (after a restart) what the previous run's
    // newest record said about each: an address announced then keeps the owned-from instant its peers know.
    private readonly Dictionary<IpAddress128, long> _firstSeen = [];
    private Dictionary<IpAddress128, long>? _previousRun;
    private readonly Lock _gate = new();
    private readonly Lock _announcedGate = new();
    private readonly long _epochMicros;
    private ICaptureSource? _source;
    private IReadOnlyList<string>? _interfaces;
    private long _ownedFromMicros = long.MaxValue;

    public AddressOwnership(string self, IRecordStore store, SketchHashKey sketchKey, TimeSpan announcementLifetime, TimeSpan epochLength)
    {
        _self = self;
        _store = store;
        _sketchKey = sketchKey;
        AnnouncementLifetime = announcementLifetime;
        _epochMicros = Math.Max(1, Core.UnixMicros.FromDuration(epochLength));
        Ownership = new FlowOwnership(MonitoredAddresses.None(self));
    }

    /// <summary>
    /// How long after the end of the epoch in which an address first appeared this PC starts to own it: one epoch.
    /// The record of that epoch announces the address; a peer that must stop counting the address's flows then has
    /// two epochs (this lead and the first owned epoch, decided at its seal) to learn it (docs/epoch-records.md,
    /// "Hand-over").
    /// </summary>
    public long OwnershipLeadMicros => _epochMicros;

    /// <summary>How long an origin's newest announcement stands after its epoch started.</summary>
    public TimeSpan AnnouncementLifetime { get; }

    public FlowOwnership Ownership { get; }

    /// <summary>Traffic counted while no agent was known for one end, for the records to report when an owner turns up late.</summary>
    public LateOwnershipLedger Ledger { get; } = new();

    public MonitorTrafficFilter MonitorTraffic { get; } = new();

    /// <summary>Origins whose announcements were read but could not be decoded (left out).</summary>
    public long Undecodable { get; private set; }

    /// <summary>
    /// The capture whose interfaces are this PC's monitored ones (none before it is set: nothing is local), opened at
    /// <paramref name="openedMicros"/>: this PC owns its addresses from the next epoch boundary on (the epoch it opened
    /// in was seen whole only by its peers; <see cref="MonitoredAddresses.OwnedFromMicros"/>). A restart within an epoch
    /// (<paramref name="ownRecordsEndMicros"/>, the end of this PC's newest record, lies in the epoch the capture opens
    /// in) owns them from that end: the previous run owned the epoch's start, peers went on leaving this PC's flows to
    /// it (their knowledge of its addresses outlives an epoch), and its first record starts there.
    /// </summary>
    public void UseCapture(ICaptureSource source, IReadOnlyList<string> requestedInterfaces, long openedMicros, long? ownRecordsEndMicros = null)
    {
        lock (_gate)
        {
            _source = source;
            _interfaces = requestedInterfaces;
            long boundary = (openedMicros + _epochMicros - 1) / _epochMicros * _epochMicros;
            _ownedFromMicros = ownRecordsEndMicros is { } end && end <= openedMicros && end > boundary - _epochMicros ? end : boundary;
            _firstSeen.Clear();
            // Peers still know what the previous run announced while its newest record stands.
            _previousRun = ownRecordsEndMicros is { } newest && newest > openedMicros - Core.UnixMicros.FromDuration(AnnouncementLifetime)
                && ReadAnnouncement(_self) is { } previous
                ? previous.Addresses.ToDictionary(a => a, a => previous.OwnedFrom is { } f && f.TryGetValue(a, out long from) ? from : long.MinValue)
                : null;
        }
    }

    /// <summary>
    /// The instant from which each local address is owned, when later than the capture's own owned-from: an address
    /// first seen now is owned from one lead after the end of the current epoch (<see cref="OwnershipLeadMicros"/>); one the previous run
    /// announced keeps what it announced. Called under the refresh, with the addresses read just now.
    /// </summary>
    private Dictionary<IpAddress128, long> LocalOwnedFrom(List<IpAddress128> local, long nowMicros)
    {
        lock (_gate)
        {
            foreach (var gone in _firstSeen.Keys.Except(local).ToList()) _firstSeen.Remove(gone);
            var result = new Dictionary<IpAddress128, long>();
            if (_source is null) return result;
            foreach (var address in local)
            {
                if (!_firstSeen.TryGetValue(address, out long seen)) _firstSeen[address] = seen = nowMicros;
                long from = _previousRun is { } previous && previous.TryGetValue(address, out long announced)
                    ? announced
                    : seen / _epochMicros * _epochMicros + _epochMicros + OwnershipLeadMicros;
                if (from > _ownedFromMicros) result[address] = from;
            }
            return result;
        }
    }

    /// <summary>Names of the interfaces captured now.</summary>
    public IReadOnlyList<string> CapturedInterfaces()
    {
        lock (_gate)
        {
            if (OperatingSystem.IsLinux() && _source is EbpfCaptureSource ebpf) return ebpf.InterfaceNames;
            return _source switch
            {
                LibpcapLiveSource pcap => [pcap.InterfaceName],
                null => [],
                _ => _interfaces ?? [],
            };
        }
    }

    /// <summary>Every non-loopback unicast address of the named interfaces (IPv6 scope ids dropped).</summary>
    public static List<IpAddress128> AddressesOf(IReadOnlyList<string> interfaceNames)
    {
        var result = new List<IpAddress128>();
        if (interfaceNames.Count == 0) return result;
        NetworkInterface[] all;
        try
        {
            all = NetworkInterface.GetAllNetworkInterfaces();
        }
        catch (NetworkInformationException)
        {
            return result;
        }
        foreach (var nic in all)
        {
            if (!interfaceNames.Contains(nic.Name, StringComparer.Ordinal) || nic.NetworkInterfaceType == NetworkInterfaceType.Loopback) continue;
            foreach (var unicast in nic.GetIPProperties().UnicastAddresses)
            {
                var address = unicast.Address;
                if (IPAddress.IsLoopback(address) || address.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)) continue;
                if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
                result.Add(IpAddress128.From(address));
            }
        }
        return result;
    }

    /// <summary>
    /// A record just stored (the store's Written event): when it is its origin's newest, its announcement is taken from
    /// the record the validator decoded, so <see cref="Refresh"/> does not read and decode it again. Thread-safe.
    /// </summary>
    public void Remember(VerifiedRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (record.Decoded is not { } decoded || decoded.Id != record.Id || record.Id.Origin == _self) return;
        lock (_announcedGate)
        {
            if (_announced.TryGetValue(record.Id.Origin, out var known) && known.NewestStart >= record.Id.StartMicros) return;
            _announced[record.Id.Origin] = decoded.MonitoredAddresses is { } addresses
                ? (record.Id.StartMicros, [.. addresses], OwnedLaterOf(decoded))
                : (record.Id.StartMicros, known.Addresses ?? [], known.OwnedFrom);
        }
    }

    /// <summary>
    /// Re-reads the local addresses and the newest announcement of every other origin, and installs a new address map
    /// when anything changed (true then). <paramref name="members"/>: every member the gossip layer knows; their
    /// gossip endpoints, the discovery group and this PC's addresses at <paramref name="ownPort"/> mark monitor traffic.
    /// </summary>
    public bool Refresh(long nowMicros, IReadOnlyList<MemberEndpoint> members, ushort ownPort)
    {
        var local = AddressesOf(CapturedInterfaces());
        long oldest = nowMicros - Core.UnixMicros.FromDuration(AnnouncementLifetime);
        var announcements = new List<AddressAnnouncement>();
        var announcing = new HashSet<string>(StringComparer.Ordinal);
        lock (_announcedGate)
        {
            foreach (var digest in _store.Digest())
            {
                if (digest.Origin == _self || digest.Count == 0 || digest.NewestStartMicros < oldest)
                {
                    _announced.Remove(digest.Origin);
                    continue;
                }
                if (!_announced.TryGetValue(digest.Origin, out var known) || known.NewestStart != digest.NewestStartMicros)
                {
                    known = ReadAnnouncement(digest.Origin) is { } read
                        ? (digest.NewestStartMicros, read.Addresses, read.OwnedFrom)
                        : (digest.NewestStartMicros, known.Addresses ?? [], known.OwnedFrom);
                    _announced[digest.Origin] = known;
                }
                announcements.Add(new AddressAnnouncement(digest.Origin, known.NewestStart, known.Addresses, known.OwnedFrom));
                announcing.Add(digest.Origin);
            }
        }
        // Newcomers: a live member without a standing announcement owns its gossip address, as if announced now (so a
        // stale record of the address's previous holder loses, as a newer record would make it). Only for a lifetime
        // after it came alive: a member that never seals (--capture none, a relay) owns nothing.
        foreach (var m in members)
        {
            if (!m.Alive || m.AliveSinceMicros < oldest || m.Origin == _self || announcing.Contains(m.Origin)) continue;
            announcements.Add(new AddressAnnouncement(m.Origin, nowMicros, [m.Address]));
        }
        var endpoints = members.Select(m => (m.Address, m.Port)).Append((DiscoveryGroup, (ushort)LanDiscoveryOptions.DefaultPort))
            .Concat(local.Select(a => (a, ownPort))).ToList();
        MonitorTraffic.Update(endpoints);
        var next = MonitoredAddresses.Build(_self, local, announcements, Volatile.Read(ref _ownedFromMicros), LocalOwnedFrom(local, nowMicros));
        if (next.SameAs(Ownership.Addresses)) return false;
        Ownership.Update(next);
        return true;
    }

    private static readonly IpAddress128 DiscoveryGroup = IpAddress128.From(LanDiscoveryOptions.DefaultGroup);

    private static Dictionary<IpAddress128, long>? OwnedLaterOf(EpochRecord record) =>
        record.AddressesOwnedLater?.ToDictionary(e => e.Address, e => e.FromMicros);

    /// <summary>The addresses the origin's newest record announces, and those it owns only later (null when it announces none or cannot be read).</summary>
    private (IpAddress128[] Addresses, Dictionary<IpAddress128, long>? OwnedFrom)? ReadAnnouncement(string origin)
    {
        var ids = _store.IdsOf(origin);
        if (ids.Count == 0) return null;
        byte[]? envelope = _store.Read(ids[0]);
        if (envelope is null) return null;
        try
        {
            if (!SignedRecord.TryDecode(envelope, out var signed, out _) || signed is null) throw new FormatException("not a signed record");
            var record = EpochRecord.Decode(signed.Record, _sketchKey);
            return record.MonitoredAddresses is { } addresses ? ([.. addresses], OwnedLaterOf(record)) : null;
        }
        catch (Exception e) when (e is EpochRecordFormatException or FormatException or ArgumentException)
        {
            Undecodable++;
            return null;
        }
    }
}

/// <summary>A member as the gossip layer knows it: its origin name, gossip endpoint, whether it is alive (or suspect), and since when (Unix µs).</summary>
internal readonly record struct MemberEndpoint(string Origin, IpAddress128 Address, ushort Port, bool Alive, long AliveSinceMicros);
