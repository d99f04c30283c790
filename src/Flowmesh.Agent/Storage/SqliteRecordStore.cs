using Flowmesh.Core.Epochs;
using Flowmesh.Gossip.Records;
using Flowmesh.Gossip.Security;
using Microsoft.Data.Sqlite;

namespace Flowmesh.Agent.Storage;

/// <summary>
/// The records table of <see cref="AgentDatabase"/>. Writes are durable when <see cref="Write"/> returns (WAL with
/// synchronous=FULL: the commit is fsynced); <see cref="WriteAll"/> commits a replication session's records at once. Per-origin digests live in memory, loaded once at open and updated on
/// every write and prune, so anti-entropy rounds never scan the table.
/// <para>
/// Retention: <see cref="Prune"/> deletes whole epochs, oldest first, until records are younger than the maximum
/// age and within the byte budget, and raises <see cref="HorizonMicros"/> to the oldest start still retained.
/// Records starting before the horizon are refused by <see cref="Write"/>, so replication never pulls back what
/// was pruned (a peer with longer retention would otherwise re-send it every round).
/// </para>
/// </summary>
public sealed partial class SqliteRecordStore : IRecordStore
{
    private const string HorizonKey = "horizon_us";

    /// <summary>Room for any hex or base64 digest up to SHA-512 with a prefix.</summary>
    public const int MaxContentHashLength = 160;

    private readonly DatabaseConnections _connections;
    private readonly StorageOptions _options;
    private readonly TimeProvider _time;
    private readonly string _self;
    private readonly SqliteCommand _insert;
    private readonly Lock _digestLock = new();
    private readonly Dictionary<string, OriginDigest> _digests = new(StringComparer.Ordinal);
    private long _horizon;
    private long _totalBytes;
    private long _refusedBelowHorizon;
    private long _longestEpoch;

    internal SqliteRecordStore(DatabaseConnections connections, StorageOptions options, TimeProvider time, string self)
    {
        _connections = connections;
        _options = options;
        _time = time;
        _self = self;
        var writer = connections.Writer;
        _horizon = writer.Int64($"SELECT value FROM meta WHERE key = '{HorizonKey}'") ?? long.MinValue;
        _totalBytes = writer.Int64("SELECT coalesce(sum(size), 0) FROM records") ?? 0;
        _longestEpoch = writer.Int64("SELECT coalesce(max(length_us), 0) FROM records") ?? 0;
        using (var command = writer.Command("SELECT origin, start_us, length_us FROM records"))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read()) Add(new EpochId(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2)));
        }
        _insert = writer.Command("""
            INSERT INTO records(origin, start_us, length_us, content_hash, envelope, size, received_us, own)
            VALUES ($origin, $start, $length, $hash, $envelope, $size, $received, $own)
            ON CONFLICT (origin, start_us, length_us) DO NOTHING
            """);
        foreach (var name in new[] { "$origin", "$start", "$length", "$hash", "$envelope", "$size", "$received", "$own" })
            _insert.Parameters.Add(new SqliteParameter { ParameterName = name });
    }

    /// <summary>Records starting before this (µs since the Unix epoch) were pruned and are refused; long.MinValue until the first prune.</summary>
    public long HorizonMicros => Volatile.Read(ref _horizon);

    /// <summary>Envelope bytes held.</summary>
    public long TotalBytes => Volatile.Read(ref _totalBytes);

    /// <summary>
    /// Raised after a record was stored (durably, not a duplicate), on the writing thread and outside the store's
    /// lock, with the record as it was written (its <see cref="VerifiedRecord.Decoded"/> included): the view and the
    /// address ownership take the decoded record from here instead of decoding the envelope again.
    /// </summary>
    public event Action<VerifiedRecord>? Written;

    /// <summary>Writes refused because the record starts before the horizon.</summary>
    public long RefusedBelowHorizon => Volatile.Read(ref _refusedBelowHorizon);

    public IReadOnlyList<OriginDigest> Digest()
    {
        lock (_digestLock) return [.. _digests.Values.OrderBy(d => d.Origin, StringComparer.Ordinal)];
    }

    /// <summary>
    /// Stores a verified record, durably. False for a duplicate id (the first copy stays) and for a record that
    /// starts before <see cref="HorizonMicros"/> (already pruned by retention).
    /// </summary>
    public bool Write(VerifiedRecord record) => WriteAll([record])[0];

    /// <summary>
    /// Stores verified records in one transaction: one commit (one fsync of the log) for all of them, durable when this
    /// returns; a crash before that keeps none of them (their senders still hold them, and anti-entropy asks again).
    /// For each, false for a duplicate id or a start before <see cref="HorizonMicros"/>, as <see cref="Write"/>.
    /// </summary>
    public IReadOnlyList<bool> WriteAll(IReadOnlyList<VerifiedRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        foreach (var record in records) CheckBounds(record);
        var stored = new bool[records.Count];
        lock (_connections.WriteLock)
        {
            ObjectDisposedException.ThrowIf(_connections.IsDisposed, this);
            var writer = _connections.Writer;
            using (var transaction = records.Count > 1 ? writer.BeginTransaction() : null)
            {
                _insert.Transaction = transaction;
                try
                {
                    for (int i = 0; i < records.Count; i++) stored[i] = Insert(records[i]);
                    transaction?.Commit();
                }
                finally
                {
                    _insert.Transaction = null;
                }
            }
            // Only once committed: a failed commit leaves the digests as the file is.
            for (int i = 0; i < records.Count; i++)
            {
                if (!stored[i]) continue;
                var record = records[i];
                Interlocked.Add(ref _totalBytes, record.SignedEnvelope.Length);
                if (record.Id.LengthMicros > Volatile.Read(ref _longestEpoch)) Volatile.Write(ref _longestEpoch, record.Id.LengthMicros);
                lock (_digestLock) Add(record.Id);
            }
        }
        for (int i = 0; i < records.Count; i++)
            if (stored[i]) Written?.Invoke(records[i]);
        return stored;
    }

    private static void CheckBounds(VerifiedRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(record.ContentHash);
        ArgumentNullException.ThrowIfNull(record.SignedEnvelope);
        record.Id.Validate();
        // Bounds that hold for every valid record, so a bug upstream cannot fill the disk through this door.
        if (record.SignedEnvelope.Length is 0 or > SignedRecord.MaxEncodedLength)
            throw new ArgumentException($"a signed envelope is 1..{SignedRecord.MaxEncodedLength} bytes, got {record.SignedEnvelope.Length}", nameof(record));
        if (record.ContentHash.Length is 0 or > MaxContentHashLength)
            throw new ArgumentException($"a content hash is 1..{MaxContentHashLength} characters, got {record.ContentHash.Length}", nameof(record));
    }

    /// <summary>One row, under the write lock (in the caller's transaction when there is one); true when it was new.</summary>
    private bool Insert(VerifiedRecord record)
    {
        if (record.Id.StartMicros < _horizon)
        {
            Interlocked.Increment(ref _refusedBelowHorizon);
            return false;
        }
        var p = _insert.Parameters;
        p[0].Value = record.Id.Origin;
        p[1].Value = record.Id.StartMicros;
        p[2].Value = record.Id.LengthMicros;
        p[3].Value = record.ContentHash;
        p[4].Value = record.SignedEnvelope;
        p[5].Value = (long)record.SignedEnvelope.Length;
        p[6].Value = Core.UnixMicros.Now(_time);
        p[7].Value = string.Equals(record.Id.Origin, _self, StringComparison.Ordinal) ? 1L : 0L;
        return _insert.ExecuteNonQuery() != 0;
    }

    /// <summary>
    /// Applies retention at <paramref name="now"/>: deletes epochs that started before now − MaxRecordAge, then the
    /// oldest epochs until the held envelopes fit MaxRecordBytes. Whole epochs (all records with one start) go
    /// together so the horizon is exact. One transaction: a crash keeps either all or none of one prune.
    /// </summary>
    public PruneResult Prune(DateTimeOffset now)
    {
        lock (_connections.WriteLock)
        {
            ObjectDisposedException.ThrowIf(_connections.IsDisposed, this);
            var writer = _connections.Writer;
            long cutoff = Math.Max(_horizon, SaturatingSubtract(Core.UnixMicros.FromInstant(now), Core.UnixMicros.FromDuration(_options.MaxRecordAge)));
            cutoff = Math.Max(cutoff, ByteBudgetCutoff(writer, cutoff));
            if (cutoff == _horizon) return new PruneResult(0, 0, _horizon);

            var deleted = new List<EpochId>();
            long bytes = 0;
            using var transaction = writer.BeginTransaction();
            using (var select = writer.Command("SELECT origin, start_us, length_us, size FROM records WHERE start_us < $cutoff", transaction))
            {
                select.With("$cutoff", cutoff);
                using var reader = select.ExecuteReader();
                while (reader.Read())
                {
                    deleted.Add(new EpochId(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2)));
                    bytes += reader.GetInt64(3);
                }
            }
            using (var delete = writer.Command("DELETE FROM records WHERE start_us < $cutoff", transaction))
                delete.With("$cutoff", cutoff).ExecuteNonQuery();
            using (var horizon = writer.Command("INSERT INTO meta(key, value) VALUES ($key, $value) ON CONFLICT (key) DO UPDATE SET value = excluded.value", transaction))
                horizon.With("$key", HorizonKey).With("$value", cutoff).ExecuteNonQuery();
            transaction.Commit();
            writer.Execute("PRAGMA incremental_vacuum");

            Volatile.Write(ref _horizon, cutoff);
            Interlocked.Add(ref _totalBytes, -bytes);
            lock (_digestLock)
                foreach (var id in deleted) Remove(id);
            return new PruneResult(deleted.Count, bytes, cutoff);
        }
    }

    /// <summary>The smallest start S such that the records starting at or after S fit the byte budget.</summary>
    private long ByteBudgetCutoff(SqliteConnection writer, long from)
    {
        long excess = Volatile.Read(ref _totalBytes) - _options.MaxRecordBytes;
        if (excess <= 0) return long.MinValue;
        using var command = writer.Command("SELECT start_us, sum(size) FROM records GROUP BY start_us ORDER BY start_us");
        using var reader = command.ExecuteReader();
        long removed = 0;
        long last = from;
        while (reader.Read())
        {
            long start = reader.GetInt64(0);
            if (removed >= excess) return start;
            removed += reader.GetInt64(1);
            last = start;
        }
        // Even the newest epoch does not fit: everything goes.
        return last == long.MaxValue ? last : last + 1;
    }

    private void Add(EpochId id)
    {
        var hash = OriginDigest.IdHash(id);
        _digests[id.Origin] = _digests.TryGetValue(id.Origin, out var d)
            ? d with { Count = d.Count + 1, NewestStartMicros = Math.Max(d.NewestStartMicros, id.StartMicros), Fingerprint = d.Fingerprint ^ hash }
            : new OriginDigest(id.Origin, 1, id.StartMicros, hash);
    }

    // Prune deletes only starts below the cutoff and keeps every start at or above it, so an origin that keeps any
    // record keeps its newest one: NewestStartMicros never needs recomputing.
    private void Remove(EpochId id)
    {
        var d = _digests[id.Origin];
        if (d.Count == 1) _digests.Remove(id.Origin);
        else _digests[id.Origin] = d with { Count = d.Count - 1, Fingerprint = d.Fingerprint ^ OriginDigest.IdHash(id) };
    }

    internal void DisposeCommands() => _insert.Dispose();

    private static long SaturatingSubtract(long a, long b) => a < long.MinValue + b ? long.MinValue : a - b;
}
