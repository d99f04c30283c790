namespace Flowmesh.Core.Views;

/// <summary>
/// An origin whose accounts of its traffic with other monitored PCs disagree with theirs (docs/cross-check.md).
/// <see cref="ReportedPackets"/> / <see cref="PeersSawPackets"/>: its accounts and its peers' of the disputed traffic,
/// summed over <see cref="Evidence"/>. When it hid traffic the view counts its peers' "left to peer" listings of the flows
/// they left to it; what it did report of those flows may then be counted twice, at most <see cref="PossiblyCountedTwiceBytes"/>.
/// </summary>
public sealed record FlaggedOrigin(
    string Origin, CrossCheckVerdict Verdict, IReadOnlyList<string> DisputingPeers, int Slots,
    ulong ReportedPackets, ulong PeersSawPackets, ulong ReportedBytes, ulong PeersSawBytes, ulong PossiblyCountedTwiceBytes,
    IReadOnlyList<CrossCheckDispute> Evidence);

/// <summary>
/// The window's cross-check: how many (pair, slot) comparisons were made, the origins flagged and the pairs that
/// disagree without a side to blame. Empty when no two monitored PCs with peer accounts share a slot.
/// </summary>
public sealed record CrossCheckCoverage(int Comparisons, IReadOnlyList<FlaggedOrigin> Flagged, IReadOnlyList<CrossCheckDispute> UnresolvedPairs)
{
    /// <summary>At most this many disputes are kept as evidence per flagged origin, and as unresolved pairs (the newest).</summary>
    public const int MaxEvidence = 16;

    public static CrossCheckCoverage None { get; } = new(0, [], []);
}
