using System.Text;
using Flowmesh.Core.Flows;

namespace Flowmesh.Core.Epochs;

/// <summary>
/// Record extension 9 (docs/epoch-records.md, docs/cross-check.md): the origin's account of its traffic with each
/// monitored peer it knew (zero when they exchanged nothing), so the view can hold both ends of a conversation against
/// each other. At most <see cref="MaxPeers"/> peers are listed (those with traffic first, the heaviest); traffic with
/// peers past the cap is only in <see cref="Unaccounted"/>. The view judges a pair only when each lists the other.
/// </summary>
public sealed class PeerAccounts
{
    /// <summary>64: a PC talks to far fewer monitored peers per epoch; 64 × ~57 B keeps the section under 4 KiB.</summary>
    public const int MaxPeers = 64;
    /// <summary>2^56: no roll-up of one pair comes near; keeps every sum of <see cref="MaxPeers"/> accounts in range.</summary>
    public const ulong MaxCounter = 1UL << 56;

    private readonly List<PeerAccount> _accounts = [];

    /// <summary>Accounts by peer name, ordinal ascending.</summary>
    public IReadOnlyList<PeerAccount> Accounts => _accounts;

    /// <summary>Traffic (both directions) with peers past <see cref="MaxPeers"/>.</summary>
    public TrafficCounters Unaccounted { get; private set; }

    public PeerAccount? Find(string peer)
    {
        foreach (var a in _accounts)
            if (string.Equals(a.Peer, peer, StringComparison.Ordinal)) return a;
        return null;
    }

    /// <summary>Builds the section from per-peer sums; keeps the heaviest <see cref="MaxPeers"/>, the rest becomes unaccounted.</summary>
    public static PeerAccounts From(IEnumerable<PeerAccount> accounts, TrafficCounters unaccounted = default)
    {
        var result = new PeerAccounts { Unaccounted = unaccounted };
        var ranked = accounts.OrderByDescending(a => a.Packets).ThenBy(a => a.Peer, StringComparer.Ordinal).ToList();
        foreach (var a in ranked.Skip(MaxPeers)) result.Unaccounted += new TrafficCounters(a.Bytes, a.Packets, 0);
        result._accounts.AddRange(ranked.Take(MaxPeers).OrderBy(a => a.Peer, StringComparer.Ordinal));
        return result;
    }

    /// <summary>The sum of two sections (a roll-up of one origin's records).</summary>
    public static PeerAccounts Merge(PeerAccounts a, PeerAccounts b)
    {
        var sums = new Dictionary<string, PeerAccount>(StringComparer.Ordinal);
        foreach (var x in a._accounts.Concat(b._accounts))
            sums[x.Peer] = sums.TryGetValue(x.Peer, out var s)
                ? s with { SentBytes = s.SentBytes + x.SentBytes, SentPackets = s.SentPackets + x.SentPackets, ReceivedBytes = s.ReceivedBytes + x.ReceivedBytes, ReceivedPackets = s.ReceivedPackets + x.ReceivedPackets }
                : x;
        return From(sums.Values, a.Unaccounted + b.Unaccounted);
    }

    internal void Write(EpochRecordWriter w)
    {
        w.WriteUInt16((ushort)_accounts.Count);
        foreach (var a in _accounts)
        {
            byte[] name = Encoding.UTF8.GetBytes(a.Peer);
            w.WriteByte((byte)name.Length);
            w.WriteBytes(name);
            w.WriteUInt64(a.SentBytes);
            w.WriteUInt64(a.SentPackets);
            w.WriteUInt64(a.ReceivedBytes);
            w.WriteUInt64(a.ReceivedPackets);
        }
        w.WriteUInt64(Unaccounted.Bytes);
        w.WriteUInt64(Unaccounted.Packets);
    }

    /// <summary>Refuses lists past the cap or out of order, names that are not UTF-8, bytes without packets and implausible counters.</summary>
    internal static PeerAccounts Read(ref EpochRecordReader r)
    {
        int n = r.ReadUInt16();
        if (n > MaxPeers) throw r.Invalid($"{n} peer accounts, more than {MaxPeers}");
        var result = new PeerAccounts();
        var utf8 = new UTF8Encoding(false, throwOnInvalidBytes: true);
        for (int i = 0; i < n; i++)
        {
            int length = r.ReadByte();
            if (length is < 1 or > EpochId.MaxOriginBytes) throw r.Invalid($"peer name length {length} is outside 1..{EpochId.MaxOriginBytes}");
            string peer;
            try
            {
                peer = utf8.GetString(r.ReadBytes(length));
            }
            catch (DecoderFallbackException)
            {
                throw r.Invalid("a peer account's name is not valid UTF-8");
            }
            var a = new PeerAccount(peer, r.ReadUInt64(), r.ReadUInt64(), r.ReadUInt64(), r.ReadUInt64());
            Check(ref r, a.SentBytes, a.SentPackets);
            Check(ref r, a.ReceivedBytes, a.ReceivedPackets);
            if (i > 0 && string.CompareOrdinal(result._accounts[^1].Peer, peer) >= 0) throw r.Invalid("peer accounts are not in order");
            result._accounts.Add(a);
        }
        ulong bytes = r.ReadUInt64(), packets = r.ReadUInt64();
        Check(ref r, bytes, packets);
        result.Unaccounted = new TrafficCounters(bytes, packets, 0);
        return result;
    }

    private static void Check(ref EpochRecordReader r, ulong bytes, ulong packets)
    {
        if (packets == 0 && bytes != 0) throw r.Invalid("a peer account has bytes without packets");
        if (bytes > MaxCounter || packets > MaxCounter) throw r.Invalid("a peer account counter is implausibly large");
    }

    /// <summary>
    /// Sums one epoch's flow deltas per monitored peer. Allocates once per new peer of the epoch, never per packet;
    /// past <see cref="MaxPeers"/> peers the traffic goes to the unaccounted counters.
    /// </summary>
    internal sealed class Accumulator
    {
        private readonly Dictionary<string, PeerAccount> _peers = new(StringComparer.Ordinal);
        private TrafficCounters _unaccounted;
        private readonly HashSet<string> _knownAtStart;

        /// <param name="atStart">
        /// The address map when the epoch opened: only peers known then are accounted (and listed). A peer learned of
        /// during the epoch would get only the traffic after that moment while it counted all of it, a dispute that is
        /// no lie; from the next epoch on both ends account for it whole.
        /// </param>
        public Accumulator(MonitoredAddresses? atStart) =>
            _knownAtStart = atStart is null ? new(StringComparer.Ordinal) : new(atStart.OtherOrigins, StringComparer.Ordinal);

        /// <summary>Counts <paramref name="flow"/> when one end is local and the other is another agent's address.</summary>
        public void Add(in FlowTableDelta flow, MonitoredAddresses map)
        {
            bool sourceLocal = map.IsLocal(flow.SourceAddress);
            bool destinationLocal = map.IsLocal(flow.DestinationAddress);
            if (sourceLocal == destinationLocal) return; // transit, or one PC on both ends: no peer to vouch
            string? peer = map.OwnerOf(sourceLocal ? flow.DestinationAddress : flow.SourceAddress);
            if (peer is null || peer == map.Self || !_knownAtStart.Contains(peer)) return;
            ulong fb = (ulong)flow.Bytes, fp = (ulong)flow.Packets, rb = (ulong)flow.ReverseBytes, rp = (ulong)flow.ReversePackets;
            // Forward = initiator to responder; the local end is the sender of the forward direction when it is the source.
            var (sb, sp, recvB, recvP) = sourceLocal ? (fb, fp, rb, rp) : (rb, rp, fb, fp);
            if (_peers.TryGetValue(peer, out var s))
            {
                _peers[peer] = s with { SentBytes = s.SentBytes + sb, SentPackets = s.SentPackets + sp, ReceivedBytes = s.ReceivedBytes + recvB, ReceivedPackets = s.ReceivedPackets + recvP };
                return;
            }
            if (_peers.Count >= MaxPeers)
            {
                _unaccounted += new TrafficCounters(fb + rb, fp + rp, 0);
                return;
            }
            _peers[peer] = new PeerAccount(peer, sb, sp, recvB, recvP);
        }

        /// <summary>
        /// The section: every peer with traffic, then every other peer known when the epoch opened with zero counters,
        /// up to <see cref="MaxPeers"/>. Listing a peer says "I knew it", so the view holds a pair to account
        /// only when both list each other: an agent that had not yet learned of a peer (a newcomer, before records
        /// replicate) is not taken for one that hides its traffic.
        /// </summary>
        public PeerAccounts Seal()
        {
            var listed = _peers.Values.Where(a => a.Packets > 0).ToList();
            var known = new HashSet<string>(listed.Select(a => a.Peer), StringComparer.Ordinal);
            foreach (var peer in _knownAtStart.Order(StringComparer.Ordinal))
            {
                if (known.Count >= MaxPeers) break;
                if (known.Add(peer)) listed.Add(new PeerAccount(peer, 0, 0, 0, 0));
            }
            return From(listed, _unaccounted);
        }
    }
}
