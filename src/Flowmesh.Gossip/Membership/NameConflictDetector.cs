namespace Flowmesh.Gossip.Membership;

/// <summary>
/// memberlist's NotifyConflict idea: an <c>Alive</c> for a known, not (long) dead member that comes from a different
/// address is a second node using the same name, not news. Accepting it would make the two nodes outbid each other's
/// incarnation forever (each hears itself "alive elsewhere" or suspected and refutes), with the address flapping in
/// every view. So the claim is refused and the address already known is kept; the node we know first wins here, and
/// an operator is told through <see cref="MembershipNode.NameConflictDetected"/>. A member that has been Dead or Left
/// for <see cref="MembershipOptions.DeadNodeReclaimTime"/> may come back from a new address (a restart after DHCP
/// gave it a new lease). Claims at a lower incarnation than known are stale news, not conflicts.
/// Each claim is counted; the event fires once per (name, claimed address) per <see cref="MembershipOptions.NameConflictReportInterval"/>,
/// and at most <see cref="MaxRemembered"/> reports are remembered.
/// </summary>
internal sealed class NameConflictDetector(MembershipOptions options)
{
    public const int MaxRemembered = 256;
    private readonly Dictionary<(NodeId, GossipAddress), TimeSpan> _reported = [];

    /// <summary>
    /// True when <paramref name="claim"/> must be refused. <paramref name="report"/> is set when the conflict is to be
    /// reported now (first time, or the report interval passed).
    /// </summary>
    public bool Refuses(Member known, bool isSelf, Alive claim, TimeSpan now, out NameConflict? report)
    {
        report = null;
        if (known.Address == claim.Address || claim.Incarnation < known.Incarnation) return false;
        if (!isSelf && known.State is MemberState.Dead or MemberState.Left && now - known.StateChangedAt >= options.DeadNodeReclaimTime)
            return false;
        var key = (claim.Node, claim.Address);
        if (!_reported.TryGetValue(key, out var last) || now - last >= options.NameConflictReportInterval)
        {
            if (_reported.Count >= MaxRemembered && !_reported.ContainsKey(key))
                _reported.Remove(_reported.MinBy(r => r.Value).Key);
            _reported[key] = now;
            report = new NameConflict(claim.Node, known.Address, claim.Address, isSelf, now);
        }
        return true;
    }
}
