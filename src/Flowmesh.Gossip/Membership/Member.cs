namespace Flowmesh.Gossip.Membership;

/// <summary>
/// One member as this node sees it. <see cref="StateChangedAt"/> is on the node's clock, so
/// <c>flowmesh members</c> can show how long a member has been in its state.
/// </summary>
public sealed record Member(NodeId Id, GossipAddress Address, uint Incarnation, MemberState State, TimeSpan StateChangedAt);
