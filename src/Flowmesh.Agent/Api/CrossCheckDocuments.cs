using Flowmesh.Core.Epochs;
using Flowmesh.Core.Views;

namespace Flowmesh.Agent.Api;

/// <summary>
/// The coverage's <c>crossCheck</c> part (docs/cross-check.md): comparisons made, origins flagged with their evidence,
/// and pairs that disagree without a side to blame. Absent when no two monitored PCs with peer accounts shared an epoch.
/// </summary>
internal sealed record CrossCheckDocument(int Comparisons, IReadOnlyList<FlaggedOriginDocument> Flagged, IReadOnlyList<DisputeDocument> UnresolvedPairs)
{
    public static CrossCheckDocument? Of(CrossCheckCoverage c) => c.Comparisons == 0 ? null : new(c.Comparisons,
        [.. c.Flagged.Select(f => new FlaggedOriginDocument(f.Origin, ViewDocuments.Camel(f.Verdict), f.DisputingPeers, f.Slots,
            f.ReportedPackets, f.PeersSawPackets, f.ReportedBytes, f.PeersSawBytes, f.PossiblyCountedTwiceBytes, [.. f.Evidence.Select(Dispute)]))],
        [.. c.UnresolvedPairs.Select(Dispute)]);

    private static DisputeDocument Dispute(CrossCheckDispute d) => new(d.Origin, d.Peer, ViewDocuments.Instant(d.SlotStartMicros),
        ViewDocuments.Instant(d.SlotStartMicros + d.SlotLengthMicros), Account(d.OriginAccount), Account(d.PeerAccount), d.TolerancePackets, d.ToleranceBytes,
        ViewDocuments.Camel(d.Verdict));

    private static AccountDocument Account(PeerAccount a) => new(a.SentBytes, a.SentPackets, a.ReceivedBytes, a.ReceivedPackets);
}

/// <summary>An origin flagged by the cross-check: its verdict (hidden, inflated, invented), the peers that disagree, and the exact accounts.</summary>
internal sealed record FlaggedOriginDocument(string Origin, string Verdict, IReadOnlyList<string> DisputingPeers, int Epochs,
    double ReportedPackets, double PeersSawPackets, double ReportedBytes, double PeersSawBytes, double PossiblyCountedTwiceBytes, IReadOnlyList<DisputeDocument> Evidence);

/// <summary>One epoch's dispute: <c>reported</c> is the origin's account of its traffic with the peer, <c>peerSaw</c> the peer's of the same traffic (its sent is the origin's received).</summary>
internal sealed record DisputeDocument(string Origin, string Peer, string From, string To, AccountDocument Reported, AccountDocument PeerSaw,
    double TolerancePackets, double ToleranceBytes, string Verdict);

internal sealed record AccountDocument(double SentBytes, double SentPackets, double ReceivedBytes, double ReceivedPackets);
