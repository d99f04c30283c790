using Flowmesh.Core.Epochs;

namespace Flowmesh.Core.Views;

/// <summary>
/// Both ends of a flow vouch for it (docs/cross-check.md): in one slot of a window, every pair of origins A, B whose
/// records cover the slot alike is compared, A's account of A↔B against B's account of B↔A (record extension 9). A
/// difference beyond <see cref="CrossCheckTolerance"/> is a dispute; a pair is compared only when each lists the other. Who is to blame: an origin that disputes with more
/// than half of the peers it was compared with in the slot is the suspect; a dispute with exactly one suspect side names
/// that side (hidden when it reports less, inflated or invented when more); otherwise the pair is unresolved. One liar
/// among honest PCs disputes with every peer it lied about, each honest peer only with the liar.
/// </summary>
internal sealed class CrossCheck
{
    public int Comparisons;
    public readonly List<CrossCheckDispute> Disputes = [];

    /// <summary>Origins found hiding traffic in this slot: the view counts their peers' listings of flows left to them.</summary>
    public readonly HashSet<string> Hidden = new(StringComparer.Ordinal);

    public void Add(CrossCheck other)
    {
        Comparisons += other.Comparisons;
        Disputes.AddRange(other.Disputes);
        Hidden.UnionWith(other.Hidden);
    }

    /// <summary>Compares the slot's origins (records of one slot, by origin).</summary>
    public static CrossCheck Compare(IReadOnlyDictionary<string, List<EpochRecord>> byOrigin, long slotStart, long slotLength, CrossCheckTolerance tolerance)
    {
        var result = new CrossCheck();
        var eligible = new List<(string Origin, long Covered, PeerAccounts Accounts, ulong Lost)>();
        foreach (var (origin, records) in byOrigin)
        {
            // Only origins that captured the whole of every record's interval and wrote accounts can vouch.
            if (records.Any(r => r.PeerAccounts is null || !r.OwnedItsAddresses)) continue;
            var accounts = records[0].PeerAccounts!;
            for (int i = 1; i < records.Count; i++) accounts = PeerAccounts.Merge(accounts, records[i].PeerAccounts!);
            ulong lost = 0;
            foreach (var r in records) lost += r.Health.KernelDrops + r.Health.DecodeFailures;
            eligible.Add((origin, records.Sum(r => r.Id.LengthMicros), accounts, lost));
        }
        if (eligible.Count < 2) return result;
        eligible.Sort((x, y) => string.CompareOrdinal(x.Origin, y.Origin));
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < eligible.Count; i++) index[eligible[i].Origin] = i;

        // A pair is held to account only when each lists the other: listing a peer (with zero traffic, too) says "I knew
        // it". An agent that has not yet learned of a peer (it just started, the peer's records have not reached it) leaves
        // it out, and its silence is no lie. Candidates come from the lists, so a slot costs O(origins × listed peers).
        var candidates = new SortedSet<(int, int)>();
        foreach (var e in eligible)
            foreach (var account in e.Accounts.Accounts)
                if (index.TryGetValue(account.Peer, out int j) && j != index[e.Origin] && eligible[j].Covered == e.Covered)
                    candidates.Add((Math.Min(index[e.Origin], j), Math.Max(index[e.Origin], j)));

        var compared = new int[eligible.Count];
        var disputing = new int[eligible.Count];
        var pairs = new List<(int A, int B, PeerAccount OfB, PeerAccount OfA, ulong TolP, ulong TolB)>();
        foreach (var (i, j) in candidates)
        {
            var a = eligible[i];
            var b = eligible[j];
            if (a.Accounts.Find(b.Origin) is not { } x || b.Accounts.Find(a.Origin) is not { } y) continue;
            result.Comparisons++;
            compared[i]++;
            compared[j]++;
            ulong lost = a.Lost + b.Lost;
            ulong largerPackets = Math.Max(x.Packets, y.Packets), largerBytes = Math.Max(x.Bytes, y.Bytes);
            ulong tolP = 2 * tolerance.BoundaryPackets + (ulong)Math.Ceiling(tolerance.Relative * largerPackets) + lost;
            ulong tolB = 2 * tolerance.BoundaryBytes + (ulong)Math.Ceiling(tolerance.Relative * largerBytes) + lost * tolerance.BytesPerLostFrame;
            bool agree = Within(x.SentPackets, y.ReceivedPackets, tolP) && Within(x.ReceivedPackets, y.SentPackets, tolP)
                && Within(x.SentBytes, y.ReceivedBytes, tolB) && Within(x.ReceivedBytes, y.SentBytes, tolB);
            if (agree) continue;
            disputing[i]++;
            disputing[j]++;
            pairs.Add((i, j, x, y, tolP, tolB));
        }

        bool Suspect(int origin) => disputing[origin] * 2 > compared[origin];
        foreach (var (i, j, ofB, ofA, tolP, tolB) in pairs)
        {
            string a = eligible[i].Origin, b = eligible[j].Origin;
            bool sa = Suspect(i), sb = Suspect(j);
            if (sa == sb)
            {
                result.Disputes.Add(new CrossCheckDispute(a, b, slotStart, slotLength, ofB, ofA, tolP, tolB, CrossCheckVerdict.Unresolved));
                continue;
            }
            var (origin, peer, own, theirs) = sa ? (a, b, ofB, ofA) : (b, a, ofA, ofB);
            var verdict = own.Packets < theirs.Packets ? CrossCheckVerdict.Hidden
                : theirs.Packets == 0 ? CrossCheckVerdict.Invented : CrossCheckVerdict.Inflated;
            if (verdict == CrossCheckVerdict.Hidden) result.Hidden.Add(origin);
            result.Disputes.Add(new CrossCheckDispute(origin, peer, slotStart, slotLength, own, theirs, tolP, tolB, verdict));
        }
        return result;
    }

    private static bool Within(ulong x, ulong y, ulong tolerance) => (x > y ? x - y : y - x) <= tolerance;

    /// <summary>The window's summary: disputes grouped per flagged origin (newest evidence kept), unresolved pairs apart.</summary>
    public CrossCheckCoverage ToCoverage()
    {
        if (Comparisons == 0) return CrossCheckCoverage.None;
        var flagged = Disputes.Where(d => d.Verdict != CrossCheckVerdict.Unresolved).GroupBy(d => d.Origin, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g =>
            {
                var verdict = g.GroupBy(d => d.Verdict).OrderByDescending(v => v.Count()).ThenBy(v => v.Key).First().Key;
                ulong reportedP = 0, sawP = 0, reportedB = 0, sawB = 0, twice = 0;
                foreach (var d in g)
                {
                    reportedP += d.OriginAccount.Packets;
                    sawP += d.PeerAccount.Packets;
                    reportedB += d.OriginAccount.Bytes;
                    sawB += d.PeerAccount.Bytes;
                    if (d.Verdict == CrossCheckVerdict.Hidden) twice += d.OriginAccount.Bytes;
                }
                return new FlaggedOrigin(g.Key, verdict, g.Select(d => d.Peer).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList(),
                    g.Select(d => d.SlotStartMicros).Distinct().Count(), reportedP, sawP, reportedB, sawB, twice, Newest(g));
            }).ToList();
        var unresolved = Newest(Disputes.Where(d => d.Verdict == CrossCheckVerdict.Unresolved));
        return new CrossCheckCoverage(Comparisons, flagged, unresolved);
    }

    private static List<CrossCheckDispute> Newest(IEnumerable<CrossCheckDispute> disputes) =>
        disputes.OrderByDescending(d => d.SlotStartMicros).ThenBy(d => d.Origin, StringComparer.Ordinal).ThenBy(d => d.Peer, StringComparer.Ordinal)
            .Take(CrossCheckCoverage.MaxEvidence).ToList();
}
