using Flowmesh.Core.Epochs;
using Microsoft.Data.Sqlite;

namespace Flowmesh.Agent.Storage;

/// <summary>The reads of <see cref="SqliteRecordStore"/>: ids, envelopes and ranges, each on a pooled reader connection (WAL: never waiting for the writer).</summary>
public sealed partial class SqliteRecordStore
{
    public IReadOnlyList<EpochId> IdsOf(string origin)
    {
        ArgumentNullException.ThrowIfNull(origin);
        using var connection = _connections.OpenReader();
        using var command = connection.Command(
            "SELECT start_us, length_us FROM records WHERE origin = $origin ORDER BY start_us DESC, length_us DESC").With("$origin", origin);
        using var reader = command.ExecuteReader();
        var ids = new List<EpochId>();
        while (reader.Read()) ids.Add(new EpochId(origin, reader.GetInt64(0), reader.GetInt64(1)));
        return ids;
    }

    /// <summary>The latest end of <paramref name="origin"/>'s held records (µs), or null: where its next record may start.</summary>
    public long? NewestEndOf(string origin)
    {
        using var connection = _connections.OpenReader();
        using var command = connection.Command("SELECT MAX(start_us + length_us) FROM records WHERE origin = $origin").With("$origin", origin);
        return command.ExecuteScalar() is long end ? end : null;
    }

    /// <summary>From the start index: the ids alone, never an envelope.</summary>
    public IReadOnlyList<EpochId> IdsStartingBetween(long fromMicros, long toMicros)
    {
        using var connection = _connections.OpenReader();
        using var command = connection.Command("SELECT origin, start_us, length_us FROM records WHERE start_us >= $from AND start_us < $to");
        command.With("$from", fromMicros).With("$to", toMicros);
        using var reader = command.ExecuteReader();
        var ids = new List<EpochId>();
        while (reader.Read()) ids.Add(new EpochId(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2)));
        return ids;
    }

    /// <summary>One probe of the (origin, start, length) index.</summary>
    public long? OldestStartOf(string origin)
    {
        ArgumentNullException.ThrowIfNull(origin);
        using var connection = _connections.OpenReader();
        using var command = connection.Command("SELECT min(start_us) FROM records WHERE origin = $origin").With("$origin", origin);
        return command.ExecuteScalar() is long start ? start : null;
    }

    public bool Contains(EpochId id)
    {
        ArgumentNullException.ThrowIfNull(id.Origin);
        using var connection = _connections.OpenReader();
        using var command = connection.Command(
            "SELECT 1 FROM records WHERE origin = $origin AND start_us = $start AND length_us = $length");
        command.With("$origin", id.Origin).With("$start", id.StartMicros).With("$length", id.LengthMicros);
        return command.ExecuteScalar() is not null;
    }

    public byte[]? Read(EpochId id)
    {
        ArgumentNullException.ThrowIfNull(id.Origin);
        using var connection = _connections.OpenReader();
        using var command = connection.Command(
            "SELECT envelope FROM records WHERE origin = $origin AND start_us = $start AND length_us = $length");
        command.With("$origin", id.Origin).With("$start", id.StartMicros).With("$length", id.LengthMicros);
        return command.ExecuteScalar() as byte[];
    }

    /// <summary>
    /// Records whose epoch overlaps [fromMicros, toMicros), oldest first; of one origin when given; at most
    /// <paramref name="limit"/> of them (envelopes are in memory at once: page with a later fromMicros).
    /// </summary>
    public IReadOnlyList<StoredRecord> RecordsBetween(long fromMicros, long toMicros, string? origin = null, int limit = int.MaxValue)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        using var connection = _connections.OpenReader();
        using var command = connection.Command(
            "SELECT origin, start_us, length_us, content_hash, envelope, received_us, own FROM records " +
            // The lower bound on start_us lets the index skip everything that ends before fromMicros: no epoch held is
            // longer than the longest one ever written.
            "WHERE start_us >= $lowest AND start_us < $to AND start_us + length_us > $from" + (origin is null ? "" : " AND origin = $origin") +
            " ORDER BY start_us, origin, length_us LIMIT $limit");
        long lowest = fromMicros < long.MinValue + Volatile.Read(ref _longestEpoch) ? long.MinValue : fromMicros - Volatile.Read(ref _longestEpoch);
        command.With("$lowest", lowest).With("$from", fromMicros).With("$to", toMicros).With("$limit", (long)limit);
        if (origin is not null) command.With("$origin", origin);
        return ReadRecords(command);
    }

    /// <summary>The newest held record of every origin (largest start, then longest), ordered by origin.</summary>
    public IReadOnlyList<StoredRecord> NewestPerOrigin()
    {
        using var connection = _connections.OpenReader();
        using var command = connection.Command("""
            SELECT origin, start_us, length_us, content_hash, envelope, received_us, own FROM (
                SELECT *, row_number() OVER (PARTITION BY origin ORDER BY start_us DESC, length_us DESC) AS rank FROM records)
            WHERE rank = 1 ORDER BY origin
            """);
        return ReadRecords(command);
    }

    /// <summary>Count, bytes and span of starts held per origin, ordered by origin.</summary>
    public IReadOnlyList<OriginUsage> UsageByOrigin()
    {
        using var connection = _connections.OpenReader();
        using var command = connection.Command(
            "SELECT origin, count(*), sum(size), min(start_us), max(start_us) FROM records GROUP BY origin ORDER BY origin");
        using var reader = command.ExecuteReader();
        var usage = new List<OriginUsage>();
        while (reader.Read())
            usage.Add(new OriginUsage(reader.GetString(0), reader.GetInt32(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4)));
        return usage;
    }

    private IReadOnlyList<StoredRecord> ReadRecords(SqliteCommand command)
    {
        using var reader = command.ExecuteReader();
        var records = new List<StoredRecord>();
        while (reader.Read())
        {
            records.Add(new StoredRecord(
                new EpochId(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2)),
                reader.GetString(3),
                (byte[])reader.GetValue(4),
                Core.UnixMicros.ToInstant(reader.GetInt64(5)),
                reader.GetInt64(6) != 0));
        }
        return records;
    }
}
