namespace Flowmesh.Core.Views;

/// <summary>How completely one origin's records cover the settled epochs of a window.</summary>
public enum CoverageStatus
{
    /// <summary>A record (or a roll-up) for every settled epoch of the window.</summary>
    Complete = 0,
    /// <summary>Records up to the newest settled epoch, but some earlier epochs have none (lost, not yet fetched, or idle).</summary>
    Gaps = 1,
    /// <summary>Records stop before the newest settled epoch: the origin (or its gossip) is behind.</summary>
    Late = 2,
    /// <summary>Expected, but no record in the window at all.</summary>
    Missing = 3,
    /// <summary>Not expected (left, or not a known member) but its records are in the window; they count.</summary>
    Unexpected = 4,
}
