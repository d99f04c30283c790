using System.Buffers.Binary;
using Flowmesh.Core.Packets;
using Microsoft.Data.Sqlite;

namespace Flowmesh.Agent.Drill;

/// <summary>
/// This agent's exact flow records, per epoch and flow, in a SQLite file of their own (<c>&lt;data-dir&gt;/flows.db</c>,
/// docs/storage.md): raw flows never leave the PC except as answers to an authenticated drill-down query. A file of
/// its own because it is a bounded cache with its own retention and durability (losing the last epoch's flows in a
/// power cut is acceptable; losing a signed record is not), and its batch writes must not queue behind the record
/// store's fsyncs.
/// </summary>
internal sealed partial class FlowLog : IDisposable
{
    public const string FileName = "flows.db";
    private const int ApplicationId = 0x464D464C; // "FMFL"
    /// <summary>2 added the host-context column (process, RTT, DNS name, drops); a version 1 file gains it on open.</summary>
    private const int SchemaVersion = 2;

    private readonly FlowLogOptions _options;
    private readonly SqliteConnection _writer;
    private readonly string _readerConnectionString;
    private readonly Lock _write = new();
    private long _rows, _batches, _rowsPruned;
    private bool _disposed;

    private FlowLog(string path, FlowLogOptions options)
    {
        Path = path;
        _options = options;
        _writer = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false }.ToString());
        _readerConnectionString = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = true }.ToString();
    }

    public string Path { get; }
    public FlowLogOptions Options => _options;
    public long RowsWritten => Interlocked.Read(ref _rows);
    public long BatchesWritten => Interlocked.Read(ref _batches);
    public long RowsPruned => Interlocked.Read(ref _rowsPruned);

    /// <summary>Opens or creates the file (0600). A file that is not a flow log is refused, never overwritten.</summary>
    public static FlowLog Open(string dataDirectory, FlowLogOptions? options = null)
    {
        Directory.CreateDirectory(dataDirectory);
        string path = System.IO.Path.Combine(dataDirectory, FileName);
        if (!File.Exists(path) && !OperatingSystem.IsWindows())
        {
            using var created = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
        }
        var log = new FlowLog(path, options ?? new FlowLogOptions());
        try
        {
            log.Initialize();
            return log;
        }
        catch
        {
            log.Dispose();
            throw;
        }
    }

    private void Initialize()
    {
        _writer.Open();
        long appId = Scalar("PRAGMA application_id"), version = Scalar("PRAGMA user_version");
        long tables = Scalar("SELECT count(*) FROM sqlite_master");
        if (tables > 0 && appId != ApplicationId)
            throw new InvalidDataException($"{Path} is an SQLite database of another program; move it away");
        if (version > SchemaVersion)
            throw new InvalidDataException($"{Path} has flow log schema version {version}, written by a newer flowmesh");
        Execute("PRAGMA journal_mode = WAL");
        // Flow rows are a cache of what the records already summarize: a power cut may lose the newest batch.
        Execute("PRAGMA synchronous = NORMAL");
        if (tables == 0)
        {
            Execute("PRAGMA auto_vacuum = INCREMENTAL");
            using var tx = _writer.BeginTransaction();
            Execute("""
                CREATE TABLE flows(
                    epoch_us INTEGER NOT NULL, length_us INTEGER NOT NULL, protocol INTEGER NOT NULL,
                    src BLOB NOT NULL, sport INTEGER NOT NULL, dst BLOB NOT NULL, dport INTEGER NOT NULL,
                    bytes_out INTEGER NOT NULL, packets_out INTEGER NOT NULL, bytes_in INTEGER NOT NULL, packets_in INTEGER NOT NULL,
                    first_us INTEGER NOT NULL, last_us INTEGER NOT NULL, tcp_flags INTEGER NOT NULL, context BLOB)
                """, tx);
            Execute("CREATE INDEX flows_by_src ON flows(src, epoch_us)", tx);
            Execute("CREATE INDEX flows_by_dst ON flows(dst, epoch_us)", tx);
            Execute("CREATE INDEX flows_by_epoch ON flows(epoch_us)", tx);
            Execute($"PRAGMA application_id = {ApplicationId}", tx);
            Execute($"PRAGMA user_version = {SchemaVersion}", tx);
            tx.Commit();
        }
        else if (version < 2)
        {
            using var tx = _writer.BeginTransaction();
            Execute("ALTER TABLE flows ADD COLUMN context BLOB", tx);
            Execute($"PRAGMA user_version = {SchemaVersion}", tx);
            tx.Commit();
        }
    }

    /// <summary>Writes one epoch's rows in one transaction.</summary>
    public void Write(ReadOnlySpan<FlowRow> rows)
    {
        if (rows.IsEmpty) return;
        lock (_write)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            using var tx = _writer.BeginTransaction();
            using var insert = _writer.CreateCommand();
            insert.Transaction = tx;
            insert.CommandText = "INSERT INTO flows VALUES ($e,$l,$p,$s,$sp,$d,$dp,$bo,$po,$bi,$pi,$f,$t,$g,$c)";
            var e = insert.Parameters.Add("$e", SqliteType.Integer);
            var l = insert.Parameters.Add("$l", SqliteType.Integer);
            var p = insert.Parameters.Add("$p", SqliteType.Integer);
            var s = insert.Parameters.Add("$s", SqliteType.Blob);
            var sp = insert.Parameters.Add("$sp", SqliteType.Integer);
            var d = insert.Parameters.Add("$d", SqliteType.Blob);
            var dp = insert.Parameters.Add("$dp", SqliteType.Integer);
            var bo = insert.Parameters.Add("$bo", SqliteType.Integer);
            var po = insert.Parameters.Add("$po", SqliteType.Integer);
            var bi = insert.Parameters.Add("$bi", SqliteType.Integer);
            var pi = insert.Parameters.Add("$pi", SqliteType.Integer);
            var f = insert.Parameters.Add("$f", SqliteType.Integer);
            var t = insert.Parameters.Add("$t", SqliteType.Integer);
            var g = insert.Parameters.Add("$g", SqliteType.Integer);
            var c = insert.Parameters.Add("$c", SqliteType.Blob);
            insert.Prepare();
            foreach (ref readonly var row in rows)
            {
                e.Value = row.EpochStartMicros; l.Value = row.EpochLengthMicros; p.Value = (long)row.Protocol;
                s.Value = Bytes(row.Source); sp.Value = (long)row.SourcePort;
                d.Value = Bytes(row.Destination); dp.Value = (long)row.DestinationPort;
                bo.Value = row.BytesOut; po.Value = row.PacketsOut; bi.Value = row.BytesIn; pi.Value = row.PacketsIn;
                f.Value = row.FirstMicros; t.Value = row.LastMicros; g.Value = (long)row.TcpFlags;
                c.Value = row.Context is null ? DBNull.Value : FlowContextCodec.Encode(row.Context);
                insert.ExecuteNonQuery();
            }
            tx.Commit();
            Interlocked.Add(ref _rows, rows.Length);
            Interlocked.Increment(ref _batches);
        }
    }

    /// <summary>
    /// The flows matching <paramref name="query"/>, one per flow record (its epochs in the window summed), largest
    /// first, then newest. <paramref name="truncated"/> is set when more flows matched than the limit.
    /// </summary>
    public List<FlowRow> Query(FlowQuery query, out bool truncated)
    {
        var (low, high) = query.Range();
        using var connection = new SqliteConnection(_readerConnectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        // The OR of two indexed ranges lets SQLite use both address indexes; each row is counted once. A record's
        // TCP flags are cumulative (OR so far), so max() over its epochs is their OR.
        command.CommandText = """
            SELECT protocol, src, sport, dst, dport, sum(bytes_out), sum(packets_out), sum(bytes_in), sum(packets_in),
                   min(first_us), max(last_us), min(epoch_us), max(epoch_us + length_us), max(tcp_flags), max(context IS NOT NULL)
            FROM flows
            WHERE ((src BETWEEN $lo AND $hi) OR (dst BETWEEN $lo AND $hi))
              AND epoch_us < $to AND epoch_us + length_us > $from
              AND ($port IS NULL OR sport = $port OR dport = $port)
              AND ($proto IS NULL OR protocol = $proto)
            GROUP BY protocol, src, sport, dst, dport, first_us
            ORDER BY sum(bytes_out) + sum(bytes_in) DESC, max(last_us) DESC
            LIMIT $limit
            """;
        command.Parameters.AddWithValue("$lo", Bytes(low));
        command.Parameters.AddWithValue("$hi", Bytes(high));
        command.Parameters.AddWithValue("$from", query.FromMicros);
        command.Parameters.AddWithValue("$to", query.ToMicros);
        command.Parameters.AddWithValue("$port", query.Port is { } port ? (long)port : DBNull.Value);
        command.Parameters.AddWithValue("$proto", query.Protocol is { } proto ? (long)proto : DBNull.Value);
        command.Parameters.AddWithValue("$limit", (long)query.Limit + 1);
        var rows = new List<FlowRow>(Math.Min(query.Limit + 1, 256));
        var withContext = new List<int>();
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                if (reader.GetInt64(14) != 0) withContext.Add(rows.Count);
                long epochStart = reader.GetInt64(11), epochEnd = reader.GetInt64(12);
                rows.Add(new FlowRow(epochStart, epochEnd - epochStart, (byte)reader.GetInt64(0),
                    Address((byte[])reader.GetValue(1)), (ushort)reader.GetInt64(2), Address((byte[])reader.GetValue(3)), (ushort)reader.GetInt64(4),
                    reader.GetInt64(5), reader.GetInt64(6), reader.GetInt64(7), reader.GetInt64(8), reader.GetInt64(9), reader.GetInt64(10)) { TcpFlags = (byte)reader.GetInt64(13) });
            }
        }
        truncated = rows.Count > query.Limit;
        if (truncated) rows.RemoveAt(rows.Count - 1);
        foreach (int i in withContext)
            if (i < rows.Count) rows[i] = rows[i] with { Context = ContextOf(connection, rows[i], query) };
        return rows;
    }

    /// <summary>Start of the oldest epoch held (null: empty): answers for windows before it cannot be complete.</summary>
    public long? OldestEpochMicros()
    {
        using var connection = new SqliteConnection(_readerConnectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT min(epoch_us) FROM flows";
        return command.ExecuteScalar() is long value ? value : null;
    }

    public long RowCount()
    {
        lock (_write) return Scalar("SELECT count(*) FROM flows");
    }

    /// <summary>
    /// Retention: deletes rows of epochs older than <see cref="FlowLogOptions.MaxAge"/>, then the oldest whole epochs
    /// until at most <see cref="FlowLogOptions.MaxRows"/> rows and <see cref="FlowLogOptions.MaxFileBytes"/> remain.
    /// Returns the rows deleted.
    /// </summary>
    public long Prune(DateTimeOffset now)
    {
        lock (_write)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            long nowMicros = Core.UnixMicros.FromInstant(now);
            long deleted = 0;
            using (var tx = _writer.BeginTransaction())
            {
                deleted += Execute($"DELETE FROM flows WHERE epoch_us < {nowMicros - Core.UnixMicros.FromDuration(_options.MaxAge)}", tx);
                // Everything in or before the epoch of the (MaxRows+1)-th newest row goes: whole epochs, at most MaxRows left.
                deleted += Execute($"DELETE FROM flows WHERE epoch_us <= (SELECT epoch_us FROM flows ORDER BY epoch_us DESC LIMIT 1 OFFSET {_options.MaxRows})", tx);
                tx.Commit();
            }
            Execute("PRAGMA incremental_vacuum");
            // The byte cap: pages in use against the budget; drop the oldest share of rows that overshoots, a few rounds.
            for (int round = 0; round < 8; round++)
            {
                long used = (Scalar("PRAGMA page_count") - Scalar("PRAGMA freelist_count")) * Scalar("PRAGMA page_size");
                if (used <= _options.MaxFileBytes) break;
                long rows = Scalar("SELECT count(*) FROM flows");
                if (rows == 0) break;
                long keep = Math.Max(0, (long)(rows * ((double)_options.MaxFileBytes / used) * 0.95));
                deleted += Execute($"DELETE FROM flows WHERE epoch_us <= (SELECT epoch_us FROM flows ORDER BY epoch_us DESC LIMIT 1 OFFSET {keep})");
                Execute("PRAGMA incremental_vacuum");
            }
            Interlocked.Add(ref _rowsPruned, deleted);
            return deleted;
        }
    }

    /// <summary>16 bytes, network order: SQLite compares blobs bytewise, so an address prefix is one BETWEEN range.</summary>
    internal static byte[] Bytes(IpAddress128 address)
    {
        var bytes = new byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, address.High);
        BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan(8), address.Low);
        return bytes;
    }

    private static IpAddress128 Address(byte[] bytes) =>
        bytes.Length == 16 ? new IpAddress128(BinaryPrimitives.ReadUInt64BigEndian(bytes), BinaryPrimitives.ReadUInt64BigEndian(bytes.AsSpan(8))) : default;

    private long Scalar(string sql)
    {
        using var command = _writer.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar() is long value ? value : 0;
    }

    private int Execute(string sql, SqliteTransaction? tx = null)
    {
        using var command = _writer.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        return command.ExecuteNonQuery();
    }

    public void Dispose()
    {
        lock (_write)
        {
            if (_disposed) return;
            _disposed = true;
            _writer.Dispose();
            using (var pooled = new SqliteConnection(_readerConnectionString)) SqliteConnection.ClearPool(pooled);
        }
    }
}
