using Flowmesh.Gossip;
using Flowmesh.Gossip.Security;
using Microsoft.Data.Sqlite;

namespace Flowmesh.Agent.Storage;

/// <summary>
/// The origin → public key bindings of <see cref="AgentDatabase"/> (table <c>origin_keys</c>, docs/storage.md): trust
/// on first use, so a binding once saved is never replaced, and a restart pins them all before any record arrives.
/// Thread-safe.
/// </summary>
public sealed class OriginKeyStore
{
    private readonly DatabaseConnections _connections;
    private readonly TimeProvider _time;
    private readonly NodeId _self;
    private readonly NodeIdentity _identity;

    internal OriginKeyStore(DatabaseConnections connections, TimeProvider time, NodeId self, NodeIdentity identity)
    {
        _connections = connections;
        _time = time;
        _self = self;
        _identity = identity;
    }

    /// <summary>Every saved origin → public key (SubjectPublicKeyInfo) binding; rows that do not decode are left out.</summary>
    public IReadOnlyDictionary<NodeId, byte[]> Load()
    {
        using var connection = _connections.OpenReader();
        using var command = connection.Command("SELECT origin, public_key FROM origin_keys");
        using var reader = command.ExecuteReader();
        var keys = new Dictionary<NodeId, byte[]>();
        while (reader.Read())
        {
            // A row that is not a valid name and a blob binds nothing (Pin also skips keys that do not parse).
            if (reader.GetValue(0) is string name && reader.GetValue(1) is byte[] key && StoredName.IsValid(name, NodeId.MaxLength))
                keys[new NodeId(name)] = key;
        }
        return keys;
    }

    /// <summary>
    /// Saves bindings not saved yet and returns how many were new. A saved binding is never replaced: bindings
    /// are trust on first use, and the first one is the one that counts.
    /// </summary>
    public int Save(IReadOnlyDictionary<NodeId, byte[]> bindings)
    {
        ArgumentNullException.ThrowIfNull(bindings);
        lock (_connections.WriteLock)
        {
            ObjectDisposedException.ThrowIf(_connections.IsDisposed, this);
            var writer = _connections.Writer;
            using var transaction = writer.BeginTransaction();
            using var command = writer.Command(
                "INSERT INTO origin_keys(origin, public_key, bound_us) VALUES ($origin, $key, $now) ON CONFLICT (origin) DO NOTHING", transaction);
            var origin = command.Parameters.Add(new SqliteParameter { ParameterName = "$origin" });
            var key = command.Parameters.Add(new SqliteParameter { ParameterName = "$key" });
            command.With("$now", Core.UnixMicros.Now(_time));
            int added = 0;
            foreach (var (id, publicKey) in bindings)
            {
                origin.Value = id.Value;
                key.Value = publicKey;
                added += command.ExecuteNonQuery();
            }
            transaction.Commit();
            return added;
        }
    }

    /// <summary>
    /// Saves a binding trust just made (TrustedOrigins.OriginBound). A failure is logged, not thrown: it is raised on the
    /// gossip path, and the binding still holds in memory for this run (only a restart would reopen its TOFU window).
    /// </summary>
    public void SaveBinding(NodeId origin, byte[] publicKey, TextWriter log)
    {
        try
        {
            Save(new Dictionary<NodeId, byte[]> { [origin] = publicKey });
        }
        catch (Exception e) when (e is AgentDatabaseException or SqliteException or ObjectDisposedException)
        {
            log.WriteLine($"flowmesh: could not save the key binding of {origin}: {e.Message}");
        }
    }

    /// <summary>
    /// Pins every saved binding into <paramref name="origins"/> (at start, so a restart does not reopen the TOFU
    /// window) and saves this node's own binding. Returns how many saved bindings were pinned; a saved key that is
    /// not a P-256 key is skipped. Throws if <paramref name="origins"/> already binds an origin to another key.
    /// </summary>
    public int Pin(TrustedOrigins origins)
    {
        ArgumentNullException.ThrowIfNull(origins);
        Save(new Dictionary<NodeId, byte[]> { [_self] = _identity.PublicKey });
        int pinned = 0;
        foreach (var (origin, key) in Load())
        {
            try
            {
                origins.Pin(origin, key);
                pinned++;
            }
            catch (ArgumentException)
            {
                // not a P-256 SubjectPublicKeyInfo: cannot verify anything, so it binds nothing
            }
        }
        return pinned;
    }
}
