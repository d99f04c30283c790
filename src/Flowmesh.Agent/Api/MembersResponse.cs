namespace Flowmesh.Agent.Api;

/// <summary>GET /api/v1/members: every member this node knows, self included (docs/api.md).</summary>
internal sealed record MembersResponse(string Self, IReadOnlyList<MemberEntry> Members);

/// <summary>One member. <see cref="State"/> is alive, suspect, dead or left; <see cref="SinceSeconds"/> is how long it has been in that state.</summary>
internal sealed record MemberEntry(string Name, string Address, string State, uint Incarnation, double SinceSeconds)
{
    /// <summary>Other addresses that claimed this name recently (a name conflict: two agents with one --name); their
    /// claims are refused, so those agents are not members. Empty normally.</summary>
    public IReadOnlyList<string> ConflictingAddresses { get; init; } = [];

    /// <summary>This member's clock minus the cluster's time (the median of all members' clocks), in seconds; positive is
    /// ahead. Null until a direct probe of it was acked (dead and left members have none).</summary>
    public double? ClockOffsetSeconds { get; init; }

    /// <summary>The offset is at least the skew alert threshold (<see cref="ClockStatus.AlertSeconds"/>).</summary>
    public bool ClockSkewed { get; init; }
}
