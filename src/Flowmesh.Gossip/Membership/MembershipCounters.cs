namespace Flowmesh.Gossip.Membership;

/// <summary>What a node sent, received and dropped; the agent exports these and the simulator sums them.</summary>
public sealed class MembershipCounters
{
    public long PacketsSent { get; internal set; }
    public long BytesSent { get; internal set; }
    public long PacketsReceived { get; internal set; }
    public long BytesReceived { get; internal set; }

    /// <summary>Packets the decoder rejected (truncated, oversized, garbage); they were dropped whole.</summary>
    public long MalformedPackets { get; internal set; }

    /// <summary>Pings for a different node id, e.g. an address reused after a restart.</summary>
    public long MisdirectedPings { get; internal set; }

    /// <summary>Dead/left members removed after DeadMemberRetention.</summary>
    public long MembersReaped { get; internal set; }

    /// <summary>Alive claims refused because another node already uses that name from another address.</summary>
    public long NameConflicts { get; internal set; }

    public long Refutations { get; internal set; }

    /// <summary>Refused claims, accusations and acks by reason (issue 16's insider attacks land here).</summary>
    public MembershipRefusalCounters Refusals { get; } = new();

    /// <summary>Dead from another node, taken as an accusation (suspicion the subject can refute), never as a death at once.</summary>
    public long RemoteDeathsSuspected { get; internal set; }
    public long PushPulls { get; internal set; }
}
