namespace Flowmesh.Gossip.Security;

/// <summary>
/// The cluster keys a node holds, as in memberlist: the primary key seals every outgoing packet, any installed
/// key opens incoming ones. Rotation without downtime: <see cref="Install"/> the new key on every node, then
/// <see cref="UsePrimary"/> it everywhere, then <see cref="Remove"/> the old one. Thread-safe: readers see an
/// immutable snapshot, so sealing and opening never wait for a rotation.
/// </summary>
public sealed class Keyring
{
    /// <summary>Every installed key is a trial decryption candidate; a bound keeps a rotation mistake cheap.</summary>
    public const int MaxKeys = 16;

    private readonly object _writeLock = new();
    private volatile Snapshot _snapshot;

    public Keyring(ClusterKey primary)
    {
        ArgumentNullException.ThrowIfNull(primary);
        _snapshot = new Snapshot(primary, [primary]);
    }

    public ClusterKey Primary => _snapshot.Primary;

    /// <summary>All installed keys, primary first.</summary>
    public IReadOnlyList<ClusterKey> Keys => _snapshot.Keys;

    /// <summary>Adds a key that will be accepted for opening. Installing a key already held does nothing.</summary>
    public void Install(ClusterKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        lock (_writeLock)
        {
            var current = _snapshot;
            if (current.Keys.Any(k => k.SameKeyAs(key))) return;
            if (current.Keys.Count >= MaxKeys)
                throw new InvalidOperationException($"a keyring holds at most {MaxKeys} keys; remove retired keys first");
            _snapshot = new Snapshot(current.Primary, [.. current.Keys, key]);
        }
    }

    /// <summary>Makes an installed key the one that seals. It must be installed first (on every node) so peers can open.</summary>
    public void UsePrimary(ClusterKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        lock (_writeLock)
        {
            var current = _snapshot;
            var installed = current.Keys.FirstOrDefault(k => k.SameKeyAs(key))
                ?? throw new InvalidOperationException($"{key} is not installed; install it on every node before making it primary");
            _snapshot = new Snapshot(installed, [installed, .. current.Keys.Where(k => !ReferenceEquals(k, installed))]);
        }
    }

    /// <summary>Stops accepting a key. The primary cannot be removed: switch the primary first.</summary>
    public void Remove(ClusterKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        lock (_writeLock)
        {
            var current = _snapshot;
            if (current.Primary.SameKeyAs(key))
                throw new InvalidOperationException($"{key} is the primary key; make another key primary before removing it");
            _snapshot = new Snapshot(current.Primary, [.. current.Keys.Where(k => !k.SameKeyAs(key))]);
        }
    }

    /// <summary>
    /// The installed keys whose id matches, in keyring order. Usually one; a 32-bit id collision between two
    /// installed keys is possible in principle, so the opener tries each match.
    /// </summary>
    internal IEnumerable<ClusterKey> Matching(uint keyId)
    {
        foreach (var key in _snapshot.Keys)
            if (key.Id == keyId) yield return key;
    }

    private sealed record Snapshot(ClusterKey Primary, IReadOnlyList<ClusterKey> Keys);
}
