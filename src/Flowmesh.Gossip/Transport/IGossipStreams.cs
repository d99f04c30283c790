using Flowmesh.Gossip.Membership;

namespace Flowmesh.Gossip.Transport;

/// <summary>
/// Request/response exchanges too big or too important for a datagram (push-pull state, record sync), over an
/// encrypted, authenticated stream: TCP between real agents, direct calls in tests and the simulator.
/// </summary>
public interface IGossipStreams
{
    /// <summary>
    /// Sends one request to the node at <paramref name="to"/> and returns its reply. Null when the peer is
    /// unreachable, times out, has no handler for <paramref name="kind"/>, or answers with something that does not
    /// authenticate. Never throws for network reasons.
    /// </summary>
    Task<byte[]?> RequestAsync(GossipAddress to, GossipStreamKind kind, ReadOnlyMemory<byte> request, CancellationToken cancellationToken);
}

/// <summary>Serves one kind of request; <paramref name="sender"/> is the authenticated NodeId from the envelope. Null reply = none.</summary>
public delegate ValueTask<byte[]?> GossipStreamHandler(NodeId sender, ReadOnlyMemory<byte> request, CancellationToken cancellationToken);

public enum GossipStreamKind : byte
{
    PushPull = 1,
    RecordSync = 2,

    /// <summary>Drill-down: a member asks for this node's exact flow records of an address (Flowmesh.Agent.Drill).</summary>
    FlowQuery = 3,

    /// <summary>
    /// The cluster authority's revocation list, push-pull: the request carries the asker's newest list (or nothing),
    /// the reply the server's when it is newer (Flowmesh.Agent.Enrolment.RevocationSpreading, issue 16).
    /// </summary>
    Revocations = 4,
}
