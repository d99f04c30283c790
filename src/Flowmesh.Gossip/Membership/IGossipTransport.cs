namespace Flowmesh.Gossip.Membership;

/// <summary>
/// Sends datagrams. Received datagrams are handed to <see cref="MembershipNode.HandlePacket(GossipAddress, ReadOnlySpan{byte})"/> by whoever owns the
/// socket, so the protocol never touches I/O and the same code runs over UDP or in the simulator.
/// Sending may silently lose the packet (UDP); the protocol is built for that.
/// </summary>
public interface IGossipTransport
{
    GossipAddress LocalAddress { get; }

    void Send(GossipAddress to, ReadOnlySpan<byte> packet);

    /// <summary>
    /// Sends a packet that must arrive whole or not at all, whatever its size: push-pull full-state syncs and join.
    /// Real agents carry it over TCP (a reply comes back as an ordinary <see cref="MembershipNode.HandlePacket(GossipAddress, ReadOnlySpan{byte})"/>
    /// on the node's loop); the simulator delivers it like a datagram. May still fail silently (peer down): the
    /// protocol retries on its own schedule.
    /// </summary>
    void SendReliable(GossipAddress to, byte[] packet);
}
