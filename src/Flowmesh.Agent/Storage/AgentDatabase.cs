using System.Security.Cryptography;
using Flowmesh.Gossip;
using Flowmesh.Gossip.Membership;
using Flowmesh.Gossip.Security;
using Microsoft.Data.Sqlite;

namespace Flowmesh.Agent.Storage;

/// <summary>
/// The agent's one database file, <c>&lt;data-dir&gt;/flowmesh.db</c>: records (<see cref="Records"/>), the node
/// identity, the incarnation, origin key bindings and the membership snapshot (schema in docs/storage.md).
/// One agent per data directory (a lock file enforces it). A file that is not ours, damaged, or from a newer
/// flowmesh is refused with <see cref="AgentDatabaseException"/>; nothing is ever wiped to recover.
/// Thread-safe.
/// </summary>
public sealed class AgentDatabase : IDisposable
{
    public const string FileName = "flowmesh.db";
    public const string LockFileName = "flowmesh.db.lock";

    private const string IncarnationKey = "incarnation";
    private const string SequenceFloorKey = "sequence_floor";
    private const string MembersSavedKey = "members_saved_us";

    private readonly DatabaseConnections _connections;
    private readonly FileStream _lock;
    private readonly TimeProvider _time;
    private bool _disposed;

    private AgentDatabase(string path, FileStream directoryLock, DatabaseConnections connections, StorageOptions options, TimeProvider time, NodeId self)
    {
        Path = path;
        Self = self;
        _lock = directoryLock;
        _connections = connections;
        _time = time;
        var writer = connections.Writer;
        Identity = LoadOrCreateIdentity(writer, path, time);
        Incarnation = NextIncarnation(writer);
        FirstSequence = ReserveSequences(writer, time);
        Records = new SqliteRecordStore(connections, options, time, self.Value);
    }

    public string Path { get; }

    /// <summary>The node this database belongs to: records of this origin are marked own.</summary>
    public NodeId Self { get; }

    /// <summary>This node's signing key pair: generated and stored on the first open, the same on every later one.</summary>
    public NodeIdentity Identity { get; }

    /// <summary>
    /// The incarnation to start membership with: one more than the highest ever saved, already saved, so a restarted
    /// agent outbids what peers remember of its previous life. Save later bumps with <see cref="SaveIncarnation"/>.
    /// </summary>
    public uint Incarnation { get; }

    /// <summary>
    /// Where this life's sealed gossip sequence numbers start: above every number a previous life could have used,
    /// whatever the clock did meanwhile, because the block was reserved (saved) before this life sends anything.
    /// </summary>
    public ulong FirstSequence { get; }

    public SqliteRecordStore Records { get; }

    /// <summary>Opens (creating when missing) the database in <paramref name="dataDirectory"/> for node <paramref name="self"/>.</summary>
    public static AgentDatabase Open(string dataDirectory, NodeId self, StorageOptions? options = null, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataDirectory);
        ArgumentException.ThrowIfNullOrEmpty(self.Value, nameof(self));
        options ??= new StorageOptions();
        options.Validate();
        time ??= TimeProvider.System;
        DatabaseFile.EnsureDirectory(dataDirectory);
        var path = System.IO.Path.GetFullPath(System.IO.Path.Combine(dataDirectory, FileName));
        var directoryLock = LockDirectory(dataDirectory);
        DatabaseConnections? connections = null;
        try
        {
            DatabaseFile.CreateOrCheck(path);
            connections = new DatabaseConnections(path);
            var writer = connections.Writer;
            writer.Open();
            bool isNew = DatabaseSchema.Check(writer, path);
            // Only settable before anything is written to a new file (switching to WAL writes the header): lets
            // Prune hand freed pages back to the file system, so the file follows the retention budget down too.
            if (isNew) writer.Execute("PRAGMA auto_vacuum = INCREMENTAL");
            // WAL before the first write, so even the schema is created through the log (and a hot rollback journal
            // never exists). Persistent: set once, recorded in the file.
            if (!string.Equals(writer.Text("PRAGMA journal_mode = WAL"), "wal", StringComparison.OrdinalIgnoreCase))
                throw new AgentDatabaseException($"{path}: SQLite refused write-ahead logging (is the file system read-only?)");
            // FULL: every commit fsyncs the log, so a record is on disk when Write returns (NORMAL would lose the
            // last commits on power loss). Checkpoints stay automatic.
            writer.Execute("PRAGMA synchronous = FULL");
            // The log is reset after each checkpoint; without a limit it keeps its largest size forever.
            writer.Execute("PRAGMA journal_size_limit = 16777216");
            if (isNew) DatabaseSchema.Create(writer);
            if (options.CheckOnOpen && writer.Text("PRAGMA quick_check") is var verdict && verdict != "ok")
                throw DatabaseFile.Damaged(path, $"SQLite's check says: {verdict}");
            return new AgentDatabase(path, directoryLock, connections, options, time, self);
        }
        catch (SqliteException e)
        {
            connections?.Dispose();
            directoryLock.Dispose();
            throw e.SqliteErrorCode is 11 or 26 // SQLITE_CORRUPT, SQLITE_NOTADB
                ? DatabaseFile.Damaged(path, $"SQLite says: {e.Message}", e)
                : new AgentDatabaseException($"{path} cannot be opened: {e.Message}", e);
        }
        catch
        {
            connections?.Dispose();
            directoryLock.Dispose();
            throw;
        }
    }

    /// <summary>Persists <paramref name="incarnation"/> when it is higher than the saved one (after a refutation or a leave).</summary>
    public void SaveIncarnation(uint incarnation)
    {
        lock (_connections.WriteLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            using var command = _connections.Writer.Command(
                "INSERT INTO meta(key, value) VALUES ($key, $value) ON CONFLICT (key) DO UPDATE SET value = max(value, excluded.value)");
            command.With("$key", IncarnationKey).With("$value", (long)incarnation).ExecuteNonQuery();
        }
    }

    /// <summary>Every saved origin → public key (SubjectPublicKeyInfo) binding; rows that do not decode are left out.</summary>
    public IReadOnlyDictionary<NodeId, byte[]> LoadOriginKeys()
    {
        using var connection = _connections.OpenReader();
        using var command = connection.Command("SELECT origin, public_key FROM origin_keys");
        using var reader = command.ExecuteReader();
        var keys = new Dictionary<NodeId, byte[]>();
        while (reader.Read())
        {
            // A row that is not a valid name and a blob binds nothing (PinOriginKeys also skips keys that do not parse).
            if (reader.GetValue(0) is string name && reader.GetValue(1) is byte[] key && IsValidName(name, NodeId.MaxLength))
                keys[new NodeId(name)] = key;
        }
        return keys;
    }

    /// <summary>
    /// Saves bindings not saved yet and returns how many were new. A saved binding is never replaced: bindings
    /// are trust on first use, and the first one is the one that counts.
    /// </summary>
    public int SaveOriginKeys(IReadOnlyDictionary<NodeId, byte[]> bindings)
    {
        ArgumentNullException.ThrowIfNull(bindings);
        lock (_connections.WriteLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var writer = _connections.Writer;
            using var transaction = writer.BeginTransaction();
            using var command = writer.Command(
                "INSERT INTO origin_keys(origin, public_key, bound_us) VALUES ($origin, $key, $now) ON CONFLICT (origin) DO NOTHING", transaction);
            var origin = command.Parameters.Add(new SqliteParameter { ParameterName = "$origin" });
            var key = command.Parameters.Add(new SqliteParameter { ParameterName = "$key" });
            command.With("$now", SqliteRecordStore.Micros(_time.GetUtcNow()));
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
    /// Pins every saved binding into <paramref name="origins"/> (at start, so a restart does not reopen the TOFU
    /// window) and saves this node's own binding. Returns how many saved bindings were pinned; a saved key that is
    /// not a P-256 key is skipped. Throws if <paramref name="origins"/> already binds an origin to another key.
    /// </summary>
    public int PinOriginKeys(TrustedOrigins origins)
    {
        ArgumentNullException.ThrowIfNull(origins);
        SaveOriginKeys(new Dictionary<NodeId, byte[]> { [Self] = Identity.PublicKey });
        int pinned = 0;
        foreach (var (origin, key) in LoadOriginKeys())
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

    /// <summary>Replaces the membership snapshot with <paramref name="members"/>, in one transaction.</summary>
    public void SaveMembership(IEnumerable<PersistedMember> members, DateTimeOffset savedAt)
    {
        ArgumentNullException.ThrowIfNull(members);
        lock (_connections.WriteLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var writer = _connections.Writer;
            using var transaction = writer.BeginTransaction();
            writer.Execute("DELETE FROM members", transaction);
            using (var insert = writer.Command(
                "INSERT INTO members(name, address, incarnation, state, state_since_us) VALUES ($name, $address, $incarnation, $state, $since) " +
                "ON CONFLICT (name) DO UPDATE SET address = excluded.address, incarnation = excluded.incarnation, state = excluded.state, state_since_us = excluded.state_since_us",
                transaction))
            {
                var name = insert.Parameters.Add(new SqliteParameter { ParameterName = "$name" });
                var address = insert.Parameters.Add(new SqliteParameter { ParameterName = "$address" });
                var incarnation = insert.Parameters.Add(new SqliteParameter { ParameterName = "$incarnation" });
                var state = insert.Parameters.Add(new SqliteParameter { ParameterName = "$state" });
                var since = insert.Parameters.Add(new SqliteParameter { ParameterName = "$since" });
                foreach (var member in members)
                {
                    name.Value = member.Id.Value;
                    address.Value = member.Address.Value;
                    incarnation.Value = (long)member.Incarnation;
                    state.Value = (long)member.State;
                    since.Value = SqliteRecordStore.Micros(member.StateSince);
                    insert.ExecuteNonQuery();
                }
            }
            using (var saved = writer.Command(
                "INSERT INTO meta(key, value) VALUES ($key, $value) ON CONFLICT (key) DO UPDATE SET value = excluded.value", transaction))
                saved.With("$key", MembersSavedKey).With("$value", SqliteRecordStore.Micros(savedAt)).ExecuteNonQuery();
            transaction.Commit();
        }
    }

    /// <summary>The last saved membership snapshot, or null when none was ever saved.</summary>
    public MembershipSnapshot? LoadMembership()
    {
        using var connection = _connections.OpenReader();
        if (connection.Int64($"SELECT value FROM meta WHERE key = '{MembersSavedKey}'") is not { } savedUs) return null;
        using var command = connection.Command("SELECT name, address, incarnation, state, state_since_us FROM members ORDER BY name");
        using var reader = command.ExecuteReader();
        var members = new List<PersistedMember>();
        int skipped = 0;
        while (reader.Read())
        {
            if (TryReadMember(reader) is { } member) members.Add(member);
            else skipped++;
        }
        return new MembershipSnapshot(FromMicros(savedUs), members, skipped);
    }

    public override string ToString() => $"AgentDatabase({Path})";

    public void Dispose()
    {
        lock (_connections.WriteLock)
        {
            if (_disposed) return;
            _disposed = true;
            Records.DisposeCommands();
            _connections.Dispose(); // inside the lock (it is reentrant): no write can slip in between
        }
        Identity.Dispose();
        _lock.Dispose();
    }

    /// <summary>A saved row that does not describe a valid member (hand-edited, or from a bug) is skipped, never fatal.</summary>
    private static PersistedMember? TryReadMember(SqliteDataReader reader)
    {
        if (reader.GetValue(0) is not string name || reader.GetValue(1) is not string address
            || reader.GetValue(2) is not long incarnation || reader.GetValue(3) is not long state || reader.GetValue(4) is not long since)
            return null;
        if (!IsValidName(name, NodeId.MaxLength) || !IsValidName(address, GossipAddress.MaxLength)) return null;
        if (incarnation is < 0 or > uint.MaxValue || !Enum.IsDefined((MemberState)(byte)state) || state is < 0 or > byte.MaxValue) return null;
        if (since < MinMicros || since > MaxMicros) return null;
        return new PersistedMember(new NodeId(name), new GossipAddress(address), (uint)incarnation, (MemberState)state, FromMicros(since));
    }

    private static bool IsValidName(string value, int maxBytes) =>
        value.Length > 0 && System.Text.Encoding.UTF8.GetByteCount(value) <= maxBytes;

    private static readonly long MinMicros = SqliteRecordStore.Micros(DateTimeOffset.MinValue);
    private static readonly long MaxMicros = SqliteRecordStore.Micros(DateTimeOffset.MaxValue);

    private static DateTimeOffset FromMicros(long micros) =>
        micros < MinMicros || micros > MaxMicros ? DateTimeOffset.UnixEpoch : DateTimeOffset.UnixEpoch.AddTicks(micros * TimeSpan.TicksPerMicrosecond);

    private static FileStream LockDirectory(string dataDirectory)
    {
        var path = System.IO.Path.Combine(dataDirectory, LockFileName);
        var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        try
        {
            // FileShare.None takes an exclusive flock on Unix: a second agent on the same directory fails here, and a
            // killed agent's lock goes with its process.
            return new FileStream(path, options);
        }
        catch (IOException e)
        {
            throw new AgentDatabaseException(
                $"{System.IO.Path.GetFullPath(dataDirectory)} is in use by another flowmesh agent (its lock {LockFileName} is held). " +
                "Give each agent its own --data-dir.", e);
        }
    }

    private static NodeIdentity LoadOrCreateIdentity(SqliteConnection writer, string path, TimeProvider time)
    {
        using (var select = writer.Command("SELECT pkcs8 FROM identity WHERE slot = 1"))
        {
            if (select.ExecuteScalar() is byte[] pkcs8)
            {
                try
                {
                    return NodeIdentity.FromPkcs8(pkcs8);
                }
                catch (CryptographicException e)
                {
                    throw DatabaseFile.Damaged(path, $"the stored node identity does not load ({e.Message})", e);
                }
                finally
                {
                    CryptographicOperations.ZeroMemory(pkcs8);
                }
            }
        }
        var identity = NodeIdentity.Generate();
        var secret = identity.ExportPkcs8();
        try
        {
            using var insert = writer.Command("INSERT INTO identity(slot, pkcs8, created_us) VALUES (1, $pkcs8, $now)");
            insert.With("$pkcs8", secret).With("$now", SqliteRecordStore.Micros(time.GetUtcNow())).ExecuteNonQuery();
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
        return identity;
    }

    private static ulong ReserveSequences(SqliteConnection writer, TimeProvider time)
    {
        // Stored as the two's-complement long of the ulong: SQLite integers are signed 64-bit.
        long? saved = writer.Int64($"SELECT value FROM meta WHERE key = '{SequenceFloorKey}'");
        var (first, nextFloor) = SequenceReservation.Reserve(saved is { } v ? unchecked((ulong)v) : null, time.GetUtcNow());
        using var command = writer.Command("INSERT INTO meta(key, value) VALUES ($key, $value) ON CONFLICT (key) DO UPDATE SET value = excluded.value");
        command.With("$key", SequenceFloorKey).With("$value", unchecked((long)nextFloor)).ExecuteNonQuery();
        return first;
    }

    private static uint NextIncarnation(SqliteConnection writer)
    {
        long saved = writer.Int64($"SELECT value FROM meta WHERE key = '{IncarnationKey}'") ?? -1;
        if (saved >= uint.MaxValue)
            throw new AgentDatabaseException("the saved incarnation is at its maximum; the node needs a new name (NodeId)");
        uint next = (uint)(saved + 1);
        using var command = writer.Command("INSERT INTO meta(key, value) VALUES ($key, $value) ON CONFLICT (key) DO UPDATE SET value = excluded.value");
        command.With("$key", IncarnationKey).With("$value", (long)next).ExecuteNonQuery();
        return next;
    }
}
