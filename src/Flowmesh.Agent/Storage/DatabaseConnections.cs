using Microsoft.Data.Sqlite;

namespace Flowmesh.Agent.Storage;

/// <summary>
/// One writer connection, used under <see cref="WriteLock"/> (SQLite has one writer at a time anyway, and a
/// connection is not thread-safe), and pooled reader connections: in WAL mode readers never wait for the writer's
/// fsync, so the API and replication can read while a record is being made durable.
/// </summary>
internal sealed class DatabaseConnections : IDisposable
{
    private readonly string _readerConnectionString;
    private bool _disposed;

    public DatabaseConnections(string path)
    {
        Path = path;
        // Mode=ReadWrite: the file exists by now (created 0600 by DatabaseFile), SQLite must never create it.
        Writer = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path, Mode = SqliteOpenMode.ReadWrite, Pooling = false,
        }.ToString());
        _readerConnectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path, Mode = SqliteOpenMode.ReadWrite, Pooling = true,
        }.ToString();
    }

    public string Path { get; }

    public SqliteConnection Writer { get; }

    public Lock WriteLock { get; } = new();

    /// <summary>Read under <see cref="WriteLock"/> by writers: after Dispose every write throws ObjectDisposedException.</summary>
    public bool IsDisposed => _disposed;

    public SqliteConnection OpenReader()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var connection = new SqliteConnection(_readerConnectionString);
        connection.Open();
        return connection;
    }

    public void Dispose()
    {
        lock (WriteLock)
        {
            if (_disposed) return;
            _disposed = true;
            using (var pooled = new SqliteConnection(_readerConnectionString)) SqliteConnection.ClearPool(pooled);
            Writer.Dispose();
        }
    }
}
