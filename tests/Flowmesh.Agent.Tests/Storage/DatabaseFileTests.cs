using Flowmesh.Agent.Storage;
using Microsoft.Data.Sqlite;

namespace Flowmesh.Agent.Tests.Storage;

public sealed class DatabaseFileTests : IDisposable
{
    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private readonly StorageFixture _fixture = new();

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void TheDirectoryIsCreated0700AndTheFiles0600()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "Unix file modes");
        using (var database = _fixture.Open())
        {
            database.Records.Write(StorageFixture.Record("a", 0));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(_fixture.DataDirectory));
            Assert.Equal(OwnerOnlyFile, File.GetUnixFileMode(_fixture.DatabasePath));
            Assert.Equal(OwnerOnlyFile, File.GetUnixFileMode(_fixture.DatabasePath + "-wal"));
            Assert.Equal(OwnerOnlyFile, File.GetUnixFileMode(Path.Combine(_fixture.DataDirectory, AgentDatabase.LockFileName)));
        }
        // Someone loosened the file (it holds the private key): the next open tightens it again.
        File.SetUnixFileMode(_fixture.DatabasePath, OwnerOnlyFile | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        using (_fixture.Open()) Assert.Equal(OwnerOnlyFile, File.GetUnixFileMode(_fixture.DatabasePath));
    }

    [Fact]
    public void TheDatabaseUsesWriteAheadLoggingAndIsMarkedAsOurs()
    {
        using (_fixture.Open()) { }
        using var raw = OpenRaw();
        Assert.Equal("wal", Text(raw, "PRAGMA journal_mode"));
        Assert.Equal("1", Text(raw, "PRAGMA user_version"));
        Assert.Equal(0x464D4442L.ToString(System.Globalization.CultureInfo.InvariantCulture), Text(raw, "PRAGMA application_id"));
    }

    [Fact]
    public void AGarbageFileIsRefusedWithAClearErrorAndLeftUntouched()
    {
        Directory.CreateDirectory(_fixture.DataDirectory);
        var garbage = new byte[10_000];
        new Random(3).NextBytes(garbage);
        File.WriteAllBytes(_fixture.DatabasePath, garbage);
        var error = Assert.Throws<AgentDatabaseException>(() => _fixture.Open());
        Assert.Contains("not a flowmesh database", error.Message);
        Assert.Contains(_fixture.DatabasePath, error.Message);
        Assert.Equal(garbage, File.ReadAllBytes(_fixture.DatabasePath));
        // A short text file too.
        File.WriteAllText(_fixture.DatabasePath, "hello");
        Assert.Contains("not a flowmesh database", Assert.Throws<AgentDatabaseException>(() => _fixture.Open()).Message);
    }

    [Fact]
    public void ATruncatedDatabaseIsRefusedWithAClearErrorAndLeftUntouched()
    {
        WriteManyRecordsAndCheckpoint();
        var bytes = File.ReadAllBytes(_fixture.DatabasePath);
        var truncated = bytes[..(bytes.Length / 2)];
        File.WriteAllBytes(_fixture.DatabasePath, truncated);
        var error = Assert.Throws<AgentDatabaseException>(() => _fixture.Open());
        Assert.Contains("truncated", error.Message);
        Assert.Equal(truncated, File.ReadAllBytes(_fixture.DatabasePath));
    }

    [Fact]
    public void OverwrittenPagesAreFoundAtOpenAndReportedAsDamage()
    {
        WriteManyRecordsAndCheckpoint();
        var bytes = File.ReadAllBytes(_fixture.DatabasePath);
        // Keep the header (first page) intact so only SQLite's own check can tell.
        new Random(5).NextBytes(bytes.AsSpan(4096, bytes.Length - 4096));
        File.WriteAllBytes(_fixture.DatabasePath, bytes);
        var error = Assert.Throws<AgentDatabaseException>(() => _fixture.Open());
        Assert.Contains("damaged", error.Message);
        Assert.Equal(bytes, File.ReadAllBytes(_fixture.DatabasePath));
    }

    [Fact]
    public void AnotherProgramsSqliteDatabaseIsRefused()
    {
        Directory.CreateDirectory(_fixture.DataDirectory);
        using (var raw = OpenRaw(create: true)) Execute(raw, "CREATE TABLE theirs(x); INSERT INTO theirs VALUES (1)");
        var error = Assert.Throws<AgentDatabaseException>(() => _fixture.Open());
        Assert.Contains("another program", error.Message);
        using var check = OpenRaw();
        Assert.Equal("1", Text(check, "SELECT x FROM theirs"));
        Assert.Equal("delete", Text(check, "PRAGMA journal_mode")); // not switched to WAL: untouched
    }

    [Fact]
    public void ANewerSchemaVersionIsRefusedWithAClearError()
    {
        using (_fixture.Open()) { }
        using (var raw = OpenRaw()) Execute(raw, "PRAGMA user_version = 2");
        var error = Assert.Throws<AgentDatabaseException>(() => _fixture.Open());
        Assert.Contains("newer flowmesh", error.Message);
        Assert.Contains("version 2", error.Message);
    }

    [Fact]
    public void ASecondAgentOnTheSameDataDirectoryIsRefused()
    {
        using var first = _fixture.Open();
        var error = Assert.Throws<AgentDatabaseException>(() => _fixture.Open());
        Assert.Contains("in use by another flowmesh agent", error.Message);
        first.Records.Write(StorageFixture.Record("still-works", 0));
        Assert.True(first.Records.Contains(StorageFixture.Record("still-works", 0).Id));
    }

    [Fact]
    public void AnEmptyFileBecomesANewDatabase()
    {
        Directory.CreateDirectory(_fixture.DataDirectory);
        File.WriteAllBytes(_fixture.DatabasePath, []);
        using var database = _fixture.Open();
        Assert.True(database.Records.Write(StorageFixture.Record("a", 0)));
    }

    private void WriteManyRecordsAndCheckpoint()
    {
        using (var database = _fixture.Open())
            for (int i = 0; i < 200; i++) database.Records.Write(StorageFixture.Record($"n{i % 4}", i * 60_000_000L, size: 2000));
        // Closing the last connection checkpoints and removes the log: everything is in the main file now.
        Assert.False(File.Exists(_fixture.DatabasePath + "-wal"));
    }

    private SqliteConnection OpenRaw(bool create = false)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = _fixture.DatabasePath, Pooling = false, Mode = create ? SqliteOpenMode.ReadWriteCreate : SqliteOpenMode.ReadWrite,
        }.ToString());
        connection.Open();
        return connection;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static string? Text(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToString(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public void Dispose() => _fixture.Dispose();
}
