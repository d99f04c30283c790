using System.Buffers.Binary;

namespace Flowmesh.Agent.Storage;

/// <summary>
/// Checks on the database file done before SQLite touches it: modes (the file holds the node's private key), and a
/// header check so that garbage or a truncated file is refused with a clear message instead of being "repaired"
/// by SQLite into an empty database or failing later at an unlucky read.
/// </summary>
internal static class DatabaseFile
{
    private const UnixFileMode OwnerOnlyDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode GroupOrOther =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    private static ReadOnlySpan<byte> Magic => "SQLite format 3\0"u8;

    /// <summary>Creates the data directory 0700 when missing; an existing directory is the operator's and keeps its mode.</summary>
    public static void EnsureDirectory(string directory)
    {
        if (Directory.Exists(directory)) return;
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(directory);
        else Directory.CreateDirectory(directory, OwnerOnlyDirectory);
    }

    /// <summary>Creates an empty file 0600, or checks an existing one and tightens its mode to 0600.</summary>
    public static void CreateOrCheck(string path)
    {
        if (!File.Exists(path))
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = OwnerOnlyFile;
            using (new FileStream(path, options)) { }
            return;
        }
        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & GroupOrOther) != 0)
            File.SetUnixFileMode(path, OwnerOnlyFile);
        CheckHeader(path, journalPresent: NonEmpty(path + "-wal") || NonEmpty(path + "-journal"));
    }

    private static bool NonEmpty(string path) => new FileInfo(path) is { Exists: true, Length: > 0 };

    private static void CheckHeader(string path, bool journalPresent)
    {
        Span<byte> header = stackalloc byte[100];
        long length;
        int read;
        using (var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
        {
            length = file.Length;
            if (length == 0) return; // an empty file holds nothing: it becomes a new database
            read = file.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        }
        if (read < header.Length || !header[..16].SequenceEqual(Magic))
            throw new AgentDatabaseException(
                $"{path} is not a flowmesh database (it is not an SQLite file). It was left untouched: move it away, or point --data-dir elsewhere.");
        int pageSize = BinaryPrimitives.ReadUInt16BigEndian(header[16..]);
        if (pageSize == 1) pageSize = 65536;
        if (pageSize < 512 || !int.IsPow2(pageSize))
            throw Damaged(path, $"its header gives an impossible page size ({pageSize})");
        uint changeCounter = BinaryPrimitives.ReadUInt32BigEndian(header[24..]);
        uint pages = BinaryPrimitives.ReadUInt32BigEndian(header[28..]);
        uint validFor = BinaryPrimitives.ReadUInt32BigEndian(header[92..]);
        // The header's page count is only authoritative when it is marked valid and no log is pending: a checkpoint
        // interrupted by a crash rewrites page 1 before the file grows, and the log then rules.
        if (!journalPresent && pages != 0 && changeCounter == validFor && length < (long)pages * pageSize)
            throw Damaged(path, $"it is truncated: its header says {pages} pages of {pageSize} bytes, the file has {length} bytes");
    }

    public static AgentDatabaseException Damaged(string path, string what, Exception? inner = null)
    {
        var message = $"{path} is damaged: {what}. Nothing was changed; keep a copy, then move it away (the agent starts " +
                      "empty and refetches peers' records) or restore a backup.";
        return inner is null ? new AgentDatabaseException(message) : new AgentDatabaseException(message, inner);
    }
}
