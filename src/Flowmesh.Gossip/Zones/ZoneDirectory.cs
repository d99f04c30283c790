using Flowmesh.Core.Zones;

namespace Flowmesh.Gossip.Zones;

/// <summary>
/// Where each node sits, as far as this node has learned it. Membership does not carry zone paths (its wire format is
/// shared with issue 16's signed membership), so an agent learns them from what replication already says: its own
/// path, a peer's scoped request (a records scope names the sender's leaf; an aggregates scope one of its ancestors),
/// a peer's refusal (it names its leaf), and level-1 aggregates' manifests (every input origin sits in that leaf).
/// A leaf learned later replaces an earlier one (a node restarted with another <c>--zone</c>). Thread-safe.
/// </summary>
public sealed class ZoneDirectory
{
    private readonly Dictionary<string, ZonePath> _known = new(StringComparer.Ordinal);
    private readonly Dictionary<string, bool> _isLeaf = new(StringComparer.Ordinal);
    private readonly object _lock = new();

    public ZoneDirectory(string self, ZonePath leaf)
    {
        ArgumentNullException.ThrowIfNull(self);
        ArgumentNullException.ThrowIfNull(leaf);
        Self = self;
        Leaf = leaf;
        LearnLeaf(self, leaf);
    }

    public string Self { get; }
    public ZonePath Leaf { get; }

    public int Count
    {
        get { lock (_lock) return _known.Count; }
    }

    /// <summary><paramref name="node"/> sits in leaf zone <paramref name="leaf"/>.</summary>
    public void LearnLeaf(string node, ZonePath leaf)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(leaf);
        if (leaf.IsRoot) return;
        lock (_lock)
        {
            _known[node] = leaf;
            _isLeaf[node] = true;
        }
    }

    /// <summary><paramref name="node"/> sits somewhere under <paramref name="zone"/>; kept only when nothing more precise is known.</summary>
    public void LearnWithin(string node, ZonePath zone)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(zone);
        lock (_lock)
        {
            if (_known.TryGetValue(node, out var known) && (_isLeaf[node] || known.Depth >= zone.Depth)) return;
            _known[node] = zone;
            _isLeaf[node] = false;
        }
    }

    /// <summary>The node's leaf zone, or null while only an ancestor (or nothing) is known.</summary>
    public ZonePath? LeafOf(string node)
    {
        lock (_lock) return _known.TryGetValue(node, out var zone) && _isLeaf[node] ? zone : null;
    }

    /// <summary>True when <paramref name="node"/> is known to sit under <paramref name="zone"/>; false when known elsewhere or unknown.</summary>
    public bool IsIn(string node, ZonePath zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        lock (_lock) return _known.TryGetValue(node, out var known) && zone.Contains(known);
    }

    /// <summary>True when nothing places the node inside or outside <paramref name="zone"/> yet.</summary>
    public bool IsUnplacedFor(string node, ZonePath zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        lock (_lock) return !_known.TryGetValue(node, out var known) || (!_isLeaf[node] && known.Contains(zone) && !known.Equals(zone));
    }

    /// <summary>
    /// The producer of <paramref name="zone"/> among <paramref name="alive"/> (this node counts as alive): the one with
    /// the ordinally lowest name known to sit in the zone, the rule <c>ZonedSimulator</c> uses. Members that disagree
    /// about who is alive or where someone sits may both produce; that costs a duplicate aggregate, never a double
    /// count (the superset rule keeps one).
    /// </summary>
    public string? ProducerOf(ZonePath zone, IEnumerable<string> alive)
    {
        ArgumentNullException.ThrowIfNull(zone);
        ArgumentNullException.ThrowIfNull(alive);
        string? lowest = IsIn(Self, zone) ? Self : null;
        foreach (var node in alive)
            if ((lowest is null || string.CompareOrdinal(node, lowest) < 0) && IsIn(node, zone)) lowest = node;
        return lowest;
    }

    /// <summary>The direct children of <paramref name="zone"/> that hold at least one of <paramref name="alive"/> (or this node).</summary>
    public IReadOnlySet<ZonePath> ChildrenWithMembers(ZonePath zone, IEnumerable<string> alive)
    {
        ArgumentNullException.ThrowIfNull(zone);
        ArgumentNullException.ThrowIfNull(alive);
        var children = new HashSet<ZonePath>();
        lock (_lock)
            foreach (var node in alive.Append(Self))
                if (_known.TryGetValue(node, out var known) && known.Depth > zone.Depth && zone.Contains(known))
                    children.Add(known.Prefix(zone.Depth + 1));
        return children;
    }
}
