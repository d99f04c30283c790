using Flowmesh.Core.Zones;

namespace Flowmesh.Gossip.Records;

/// <summary>
/// Which scopes a node serves as responder, each with its own store and verifier (a leaf zone's records pass the
/// record validator, aggregates the aggregate validator). A node that replicates by zone serves exactly the scopes
/// <see cref="SyncScope.Of"/> lists for its leaf, and refuses flat requests: answering them would hand a node outside
/// the zone every record, which is what scopes exist to stop. Thread-safe after construction.
/// </summary>
public sealed class ReplicationScopes
{
    private readonly Dictionary<SyncScope, (IRecordStore Store, IRecordVerifier Verifier)> _served = [];

    public ReplicationScopes(ZonePath leaf)
    {
        ArgumentNullException.ThrowIfNull(leaf);
        if (leaf.IsRoot) throw new ArgumentException("a node replicating by zone sits in a leaf zone, not the root", nameof(leaf));
        Leaf = leaf;
    }

    /// <summary>The leaf zone whose records this node serves; named in every refusal it sends.</summary>
    public ZonePath Leaf { get; }

    public IReadOnlyCollection<SyncScope> Served => _served.Keys;

    /// <summary>Serves <paramref name="scope"/> from <paramref name="store"/>; only scopes of this node's own path are accepted.</summary>
    public ReplicationScopes Serve(SyncScope scope, IRecordStore store, IRecordVerifier verifier)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(verifier);
        if (!SyncScope.Of(Leaf).Contains(scope)) throw new ArgumentException($"{scope} is not a scope of leaf zone {Leaf}", nameof(scope));
        _served.Add(scope, (store, verifier));
        return this;
    }

    public bool TryResolve(SyncScope? scope, out IRecordStore? store, out IRecordVerifier? verifier)
    {
        store = null;
        verifier = null;
        if (scope is null || !_served.TryGetValue(scope, out var served)) return false;
        (store, verifier) = served;
        return true;
    }
}
