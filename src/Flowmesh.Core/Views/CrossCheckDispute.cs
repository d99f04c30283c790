using Flowmesh.Core.Epochs;

namespace Flowmesh.Core.Views;

/// <summary>
/// One slot in which two origins' accounts of their shared traffic differ beyond <see cref="CrossCheckTolerance"/>:
/// <see cref="OriginAccount"/> is what <see cref="Origin"/> reported of its traffic with <see cref="Peer"/>,
/// <see cref="PeerAccount"/> what the peer reported of the same traffic (its sent is the origin's received).
/// </summary>
public sealed record CrossCheckDispute(
    string Origin, string Peer, long SlotStartMicros, long SlotLengthMicros,
    PeerAccount OriginAccount, PeerAccount PeerAccount, ulong TolerancePackets, ulong ToleranceBytes, CrossCheckVerdict Verdict);
