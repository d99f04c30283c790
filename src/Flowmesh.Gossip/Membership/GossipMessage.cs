namespace Flowmesh.Gossip.Membership;

/// <summary>
/// The closed set of membership messages. A packet carries one or more of them: the probe message first, then
/// piggybacked broadcasts (Alive/Suspect/Dead/Leave), which is how SWIM spreads news at no extra packet cost.
/// </summary>
public abstract record GossipMessage;

/// <summary>Direct probe. Carries the intended target so a reused address answering for someone else is not taken as proof of life.</summary>
public sealed record Ping(uint Sequence, NodeId Target, NodeId Source) : GossipMessage;

/// <summary>Answer to a ping; relayed back unchanged (with the requester's sequence) by an indirect prober.</summary>
public sealed record Ack(uint Sequence, NodeId Source) : GossipMessage;

/// <summary>"Please ping Target for me": SWIM's indirect probe, which rules out a bad path between just two nodes.</summary>
public sealed record PingRequest(uint Sequence, NodeId Target, GossipAddress TargetAddress, NodeId Source) : GossipMessage;

/// <summary>
/// Lifeguard: an indirect prober that got no ack says so. A requester that misses the nacks too learns that its own
/// network is the problem and slows down instead of accusing others.
/// </summary>
public sealed record Nack(uint Sequence, NodeId Source) : GossipMessage;

/// <summary>
/// Node is alive at this incarnation; a higher incarnation refutes any suspicion of a lower one. Signed by Node itself
/// (<see cref="Proof"/>, issue 16) and forwarded unchanged, so only Node can raise its incarnation or move its address.
/// </summary>
public sealed record Alive(NodeId Node, uint Incarnation, GossipAddress Address, MemberProof? Proof = null) : GossipMessage;

/// <summary>From suspects Node at this incarnation. Independent accusers shorten the suspicion timeout.</summary>
public sealed record Suspect(NodeId Node, uint Incarnation, NodeId From) : GossipMessage;

/// <summary>Node's suspicion timed out at From.</summary>
public sealed record Dead(NodeId Node, uint Incarnation, NodeId From) : GossipMessage;

/// <summary>Node leaves on purpose (shutdown, sleep). Shown as Left, never as a failure.</summary>
/// Signed by Node itself, like <see cref="Alive"/>: nobody else can make a member leave.
public sealed record Leave(NodeId Node, uint Incarnation, MemberProof? Proof = null) : GossipMessage;

/// <summary>Full membership state for anti-entropy; the receiver merges it and, if not a reply, answers with its own.</summary>
public sealed record PushPull(NodeId Source, bool IsReply, IReadOnlyList<PushPullEntry> Entries) : GossipMessage;

/// <summary>One member of a full state. <see cref="Proof"/> is the member's own signature of its latest claim: its Leave
/// when the state is Left, otherwise its Alive at this incarnation and address (so a full state cannot forge either).</summary>
public readonly record struct PushPullEntry(NodeId Node, GossipAddress Address, uint Incarnation, MemberState State, MemberProof? Proof = null);
