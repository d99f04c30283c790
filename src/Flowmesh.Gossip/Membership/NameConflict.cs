namespace Flowmesh.Gossip.Membership;

/// <summary>
/// Two nodes claim one NodeId from different addresses (a copied configuration, a cloned VM, two agents named after
/// the same host). <see cref="KnownAddress"/> is the one this node keeps; <see cref="ClaimedAddress"/> was refused.
/// <see cref="InvolvesSelf"/>: the name is ours and someone else uses it.
/// </summary>
public sealed record NameConflict(NodeId Node, GossipAddress KnownAddress, GossipAddress ClaimedAddress, bool InvolvesSelf, TimeSpan DetectedAt);
