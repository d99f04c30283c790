namespace Flowmesh.Core.Epochs;

/// <summary>
/// An origin's exact account of its traffic with one monitored peer in a record's interval, as its own capture saw it:
/// what its addresses sent to the peer's addresses and received from them, owned and left-to-peer flows alike
/// (docs/cross-check.md). The peer's record holds the mirror account; the view compares the two.
/// </summary>
public readonly record struct PeerAccount(string Peer, ulong SentBytes, ulong SentPackets, ulong ReceivedBytes, ulong ReceivedPackets)
{
    public ulong Packets => SentPackets + ReceivedPackets;
    public ulong Bytes => SentBytes + ReceivedBytes;
}
