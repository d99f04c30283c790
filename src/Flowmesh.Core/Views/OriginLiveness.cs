namespace Flowmesh.Core.Views;

/// <summary>
/// An origin's liveness as the global view sees it, which decides whether its records are expected. Gossip's
/// <c>Flowmesh.Gossip.Membership.MemberState</c> is what the cluster believes of a member; the view does not depend on
/// the gossip layer, so the caller maps those states onto these.
/// </summary>
public enum OriginLiveness
{
    /// <summary>Answering probes: its records are expected for every settled epoch.</summary>
    Alive = 0,
    /// <summary>Not answering for now: its records are still expected (it may be alive and only slow).</summary>
    Suspect = 1,
    /// <summary>Declared failed: its records are expected but will not come, so its traffic is missing from answers.</summary>
    Dead = 2,
    /// <summary>Left on purpose: it monitors nothing any more, so nothing is expected from it (records it did send still count).</summary>
    Left = 3,
}
