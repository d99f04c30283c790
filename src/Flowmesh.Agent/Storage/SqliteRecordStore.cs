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
/// Retention, per length tier (<see cref="StorageOptions.Retention"/>), is <see cref="Prune"/> with the cutoffs
/// <see cref="RecordPruning"/> plans. Each tier has its own horizon (the oldest start it still retains); records
/// starting before their tier's horizon are refused by <see cref="Write"/>, so replication never pulls back what
/// was pruned (a peer with longer retention would otherwise re-send it every round).
/// </para>
/// </summary>
public sealed partial class SqliteRecordStore : IRecordStore
{
    /// <summary>Room for any hex or base64 digest up to SHA-512 with a prefix.</summary>
    public const int MaxContentHashLength = 160;

    private readonly DatabaseConnections _connections;
    private readonly StorageOptions _options;
    private readonly TimeProvider _time;
    private readonly string _self;
    private readonly SqliteCommand _insert;
    private readonly Lock _digestLock = new();
    private readonly Dictionary<string, OriginDigest> _digests = new(StringComparer.Ordinal);
    private readonly RecordRetention _retention;
    private readonly RecordPruning _pruning;
    private readonly long[] _horizons;
    private readonly OriginHorizons _originHorizons;
    private readonly EpochSlotRule _slots;
    private readonly SqliteCommand _heldInSlot;
    private long _totalBytes;
    private long _refusedBelowHorizon;
    private long _refusedOverlapping;
    private long _refusedSlotFull;
    private long _prunedForAge;
    private long _prunedForByteBudget;
    private long _longestEpoch;

    internal SqliteRecordStore(DatabaseConnections connections, StorageOptions options, TimeProvider time, string self)
    {
        _connections = connections;
        _options = options;
        _time = time;
        _self = self;
        var writer = connections.Writer;
        _retention = options.Retention;
        _pruning = new RecordPruning(_retention, options.MaxRecordBytes);
        _horizons = new long[_retention.Tiers.Count];
        for (int tier = 0; tier < _horizons.Length; tier++)
            _horizons[tier] = writer.Int64($"SELECT value FROM meta WHERE key = '{_pruning.HorizonKeyOf(tier)}'") ?? long.MinValue;
        _originHorizons = OriginHorizons.Load(writer);
        _slots = options.Slots;
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
        // An origin's records in one slot, through the (origin, start_us, length_us) index.
        _heldInSlot = writer.Command("SELECT start_us, length_us FROM records WHERE origin = $origin AND start_us >= $from AND start_us < $to AND length_us <= $longest");
        foreach (var name in new[] { "$origin", "$from", "$to", "$longest" })
            _heldInSlot.Parameters.Add(new SqliteParameter { ParameterName = name });
    }

    /// <summary>Raw records starting before this (µs since the Unix epoch) were pruned and are refused; long.MinValue until the first prune.</summary>
    public long HorizonMicros => Volatile.Read(ref _horizons[0]);

    /// <summary>Records of this length starting before the returned instant were pruned (by their tier's retention) and are refused.</summary>
    public long HorizonOf(long lengthMicros) => Volatile.Read(ref _horizons[_retention.TierOf(lengthMicros)]);

    /// <summary>As <see cref="HorizonOf(long)"/> for one origin: also where the byte budget cut that origin's records (its fair share, issue 16).</summary>
    public long HorizonOf(long lengthMicros, string origin)
    {
        int tier = _retention.TierOf(lengthMicros);
        return Math.Max(Volatile.Read(ref _horizons[tier]), _originHorizons.Of(origin, tier));
    }

    /// <summary>Writes refused because the record overlaps one its origin already has in the same epoch slot (<see cref="EpochSlotRule"/>).</summary>
    public long RefusedOverlapping => Volatile.Read(ref _refusedOverlapping);

    /// <summary>Writes refused because the origin already has <see cref="EpochSlotRule.MaxPartsPerSlot"/> records in the slot: the per-origin cap per epoch.</summary>
    public long RefusedSlotFull => Volatile.Read(ref _refusedSlotFull);

    /// <summary>Envelope bytes held.</summary>
    public long TotalBytes => Volatile.Read(ref _totalBytes);

    /// <summary>Records retention deleted for their age (a tier's retention), since the store opened.</summary>
    public long PrunedForAge => Interlocked.Read(ref _prunedForAge);

    /// <summary>Records deleted because their origin held more than its fair share of the byte budget (issue 16: a flooder loses its own).</summary>
    public long PrunedForByteBudget => Interlocked.Read(ref _prunedForByteBudget);

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
    /// starts before its tier's horizon (<see cref="HorizonOf(long, string)"/>: already pruned by retention).
    /// </summary>
    public bool Write(VerifiedRecord record) => WriteAll([record])[0];

    /// <summary>
    /// Stores verified records in one transaction: one commit (one fsync of the log) for all of them, durable when this
    /// returns; a crash before that keeps none of them (their senders still hold them, and anti-entropy asks again).
    /// For each, false for a duplicate id or a start before its tier's horizon (<see cref="HorizonOf(long, string)"/>), as <see cref="Write"/>.
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
                _heldInSlot.Transaction = transaction; // the slot check sees this session's earlier rows
                try
                {
                    for (int i = 0; i < records.Count; i++) stored[i] = Insert(records[i]);
                    transaction?.Commit();
                }
                finally
                {
                    _insert.Transaction = null;
                    _heldInSlot.Transaction = null;
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
        if (record.Id.StartMicros < HorizonOf(record.Id.LengthMicros, record.Id.Origin))
        {
            Interlocked.Increment(ref _refusedBelowHorizon);
            return false;
        }
        if (!FitsItsSlot(record.Id)) return false;
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
    /// Applies retention at <paramref name="now"/>: per tier, deletes epochs that started before now − the tier's
    /// retention; then, while the held envelopes exceed MaxRecordBytes, the oldest records of the origins over their
    /// fair share of it (<see cref="RecordPruning"/>), each losing its own finest tier first. One transaction: a crash
    /// keeps either all or none of one prune.
    /// </summary>
    public PruneResult Prune(DateTimeOffset now)
    {
        lock (_connections.WriteLock)
        {
            ObjectDisposedException.ThrowIf(_connections.IsDisposed, this);
            var writer = _connections.Writer;
            var plan = _pruning.Plan(writer, _horizons, _originHorizons, Core.UnixMicros.FromInstant(now), Volatile.Read(ref _totalBytes));
            if (plan.Cutoffs.SequenceEqual(_horizons) && plan.OriginCutoffs.Count == 0) return new PruneResult(0, 0, _horizons[0]);

            var (deleted, bytes, forBudget) = _pruning.Delete(writer, _horizons, plan);
            Interlocked.Add(ref _prunedForAge, deleted.Count - forBudget);
            Interlocked.Add(ref _prunedForByteBudget, forBudget);
            writer.Execute("PRAGMA incremental_vacuum");

            for (int tier = 0; tier < plan.Cutoffs.Length; tier++) Volatile.Write(ref _horizons[tier], plan.Cutoffs[tier]);
            foreach (var (origin, cutoffs) in plan.OriginCutoffs)
                for (int tier = 0; tier < cutoffs.Length; tier++) _originHorizons.Raise(origin, tier, cutoffs[tier]);
            Interlocked.Add(ref _totalBytes, -bytes);
            lock (_digestLock)
            {
                var lostNewest = new HashSet<string>(StringComparer.Ordinal);
                foreach (var id in deleted)
                {
                    if (Remove(id)) lostNewest.Add(id.Origin);
                }
                foreach (var origin in lostNewest) RefreshNewest(writer, origin);
            }
            return new PruneResult(deleted.Count, bytes, _horizons[0], forBudget);
        }
    }

    private void Add(EpochId id)
    {
        var hash = OriginDigest.IdHash(id);
        _digests[id.Origin] = _digests.TryGetValue(id.Origin, out var d)
            ? d with { Count = d.Count + 1, NewestStartMicros = Math.Max(d.NewestStartMicros, id.StartMicros), Fingerprint = d.Fingerprint ^ hash }
            : new OriginDigest(id.Origin, 1, id.StartMicros, hash);
    }

    /// <summary>Takes <paramref name="id"/> out of its origin's digest; true when it may have been the origin's newest record.</summary>
    private bool Remove(EpochId id)
    {
        var d = _digests[id.Origin];
        if (d.Count == 1)
        {
            _digests.Remove(id.Origin);
            return false;
        }
        _digests[id.Origin] = d with { Count = d.Count - 1, Fingerprint = d.Fingerprint ^ OriginDigest.IdHash(id) };
        return id.StartMicros == d.NewestStartMicros;
    }

    // Tiers are pruned apart, so an origin can lose its newest record (all its raw records, say) and keep older
    // roll-ups: its newest start is read back then.
    private void RefreshNewest(SqliteConnection writer, string origin)
    {
        if (!_digests.TryGetValue(origin, out var d)) return;
        using var command = writer.Command("SELECT max(start_us) FROM records WHERE origin = $origin").With("$origin", origin);
        if (command.ExecuteScalar() is long newest) _digests[origin] = d with { NewestStartMicros = newest };
    }

    internal void DisposeCommands()
    {
        _insert.Dispose();
        _heldInSlot.Dispose();
    }
}
