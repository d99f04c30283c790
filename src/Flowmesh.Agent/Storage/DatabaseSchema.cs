using Microsoft.Data.Sqlite;

namespace Flowmesh.Agent.Storage;

/// <summary>
/// The tables (docs/storage.md explains each). The file is marked with an application id so another program's
/// SQLite file is refused, and with a schema version (user_version) so an older flowmesh refuses a newer file
/// instead of misreading it. A change to the tables bumps <see cref="Version"/> and adds a migration here.
/// </summary>
internal static class DatabaseSchema
{
    public const int Version = 1;

    /// <summary>"FMDB" in ASCII.</summary>
    public const int ApplicationId = 0x464D4442;

    private const string Tables = """
        CREATE TABLE meta(
            key TEXT PRIMARY KEY NOT NULL,
            value INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE identity(
            slot INTEGER PRIMARY KEY CHECK (slot = 1),
            pkcs8 BLOB NOT NULL,
            created_us INTEGER NOT NULL
        );
        CREATE TABLE records(
            origin TEXT NOT NULL,
            start_us INTEGER NOT NULL,
            length_us INTEGER NOT NULL,
            content_hash TEXT NOT NULL,
            envelope BLOB NOT NULL,
            size INTEGER NOT NULL,
            received_us INTEGER NOT NULL,
            own INTEGER NOT NULL,
            UNIQUE (origin, start_us, length_us)
        );
        CREATE INDEX records_by_start ON records(start_us);
        CREATE TABLE origin_keys(
            origin TEXT PRIMARY KEY NOT NULL,
            public_key BLOB NOT NULL,
            bound_us INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE members(
            name TEXT PRIMARY KEY NOT NULL,
            address TEXT NOT NULL,
            incarnation INTEGER NOT NULL,
            state INTEGER NOT NULL,
            state_since_us INTEGER NOT NULL
        ) WITHOUT ROWID;
        """;

    /// <summary>
    /// Reads only: true for a new (empty) database, false for a flowmesh database of a version this build reads;
    /// throws for anything else, before anything is written to the file.
    /// </summary>
    public static bool Check(SqliteConnection connection, string path)
    {
        long applicationId = connection.Int64("PRAGMA application_id") ?? 0;
        long version = connection.Int64("PRAGMA user_version") ?? 0;
        if (applicationId == 0 && version == 0)
        {
            if (connection.Int64("SELECT count(*) FROM sqlite_schema") != 0)
                throw new AgentDatabaseException(
                    $"{path} is an SQLite database of another program, not flowmesh's. It was left untouched: move it away, or point --data-dir elsewhere.");
            return true;
        }
        if (applicationId != ApplicationId)
            throw new AgentDatabaseException(
                $"{path} is an SQLite database of another program (application id 0x{applicationId:X8}), not flowmesh's. It was left untouched.");
        if (version > Version)
            throw new AgentDatabaseException(
                $"{path} has schema version {version}, written by a newer flowmesh; this build reads up to version {Version}. " +
                "Upgrade flowmesh (the file was left untouched).");
        if (version < 1)
            throw DatabaseFile.Damaged(path, $"its schema version is {version}");
        return false;
    }

    /// <summary>Creates the tables in one transaction: a crash leaves either a new empty file or a complete schema.</summary>
    public static void Create(SqliteConnection connection)
    {
        using var transaction = connection.BeginTransaction();
        connection.Execute(Tables, transaction);
        connection.Execute($"PRAGMA application_id = {ApplicationId}", transaction);
        connection.Execute($"PRAGMA user_version = {Version}", transaction);
        transaction.Commit();
    }
}
