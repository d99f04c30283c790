namespace Flowmesh.Core.Views;

/// <summary>What a dispute between two monitored PCs' accounts says about the origin it names (docs/cross-check.md).</summary>
public enum CrossCheckVerdict
{
    /// <summary>The origin reports less of its traffic with the peer than the peer saw: it hides traffic.</summary>
    Hidden = 0,
    /// <summary>The origin reports more than the peer saw, and the peer saw some: inflated traffic.</summary>
    Inflated = 1,
    /// <summary>The origin reports traffic with a peer that saw none: invented traffic.</summary>
    Invented = 2,
    /// <summary>The two disagree and neither disagrees with most of its other peers: the pair is flagged, not one side.</summary>
    Unresolved = 3,
}
