namespace Flowmesh.Gossip.Membership;

/// <summary>
/// Sends datagrams. Received datagrams are handed to <see cref="MembershipNode.HandlePacket"/> by whoever owns the
/// socket, so the protocol never touches I/O and the same code runs over UDP or in the simulator.
/// Sending may silently lose the packet (UDP); the protocol is built for that.
/// </summary>
public interface IGossipTransport
{
    GossipAddress LocalAddress { get; }

    void Send(GossipAddress to, ReadOnlySpan<byte> packet);
}
