namespace Flowmesh.Gossip.Membership;

/// <summary>
/// Where every clock stands against the cluster's time, seen from one node. The cluster's time is the median of all
/// members' clocks (this node's included, as one voter), so one wrong clock, or a minority of them, is named as
/// wrong by every node alike, instead of each node blaming everyone else.
/// </summary>
/// <param name="Self">This node's clock minus the cluster's time (positive: ahead). Zero with no peer sampled.</param>
/// <param name="Peers">Each sampled peer's clock minus the cluster's time.</param>
/// <param name="Alert">The skew above which a clock is reported (<see cref="MembershipOptions.ClockSkewAlert"/>).</param>
public sealed record ClockEstimate(TimeSpan Self, IReadOnlyDictionary<NodeId, TimeSpan> Peers, TimeSpan Alert)
{
    public static ClockEstimate None(TimeSpan alert) => new(TimeSpan.Zero, new Dictionary<NodeId, TimeSpan>(), alert);

    /// <summary>Clocks sampled (peers; this node counts as one more voter).</summary>
    public int Sampled => Peers.Count;

    public bool SelfSkewed => Sampled > 0 && Skewed(Self);

    public bool Skewed(TimeSpan offset) => offset.Duration() >= Alert;

    /// <summary>Members (this node included, as <paramref name="self"/>) whose clock is off by the alert threshold or more.</summary>
    public IReadOnlyList<(NodeId Node, TimeSpan Offset)> SkewedMembers(NodeId self)
    {
        var list = Peers.Where(p => Skewed(p.Value)).Select(p => (p.Key, p.Value)).ToList();
        if (SelfSkewed) list.Add((self, Self));
        return [.. list.OrderBy(p => p.Item1.Value, StringComparer.Ordinal)];
    }
}
