using System.Security.Cryptography;
using Flowmesh.Gossip;
using Flowmesh.Gossip.Security;
using Microsoft.Data.Sqlite;

namespace Flowmesh.Agent.Storage;

/// <summary>
/// The agent's one database file, <c>&lt;data-dir&gt;/flowmesh.db</c>: records (<see cref="Records"/>), origin key
/// bindings (<see cref="OriginKeys"/>), the membership snapshot (<see cref="Membership"/>), and here the node's own
/// state: its identity, incarnation and gossip sequence block (schema in docs/storage.md).
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
        OriginKeys = new OriginKeyStore(connections, time, self, Identity);
        Membership = new MembershipStore(connections);
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

    /// <summary>Which public key signs each origin's records: trust on first use, kept across restarts.</summary>
    public OriginKeyStore OriginKeys { get; }

    /// <summary>The last membership the agent saw, to rejoin from after a restart.</summary>
    public MembershipStore Membership { get; }

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
            insert.With("$pkcs8", secret).With("$now", Core.UnixMicros.Now(time)).ExecuteNonQuery();
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
