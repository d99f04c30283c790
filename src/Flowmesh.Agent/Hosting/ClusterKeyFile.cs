using Flowmesh.Gossip.Security;

namespace Flowmesh.Agent.Hosting;

/// <summary>
/// Loads the cluster key file, or on first run (default path only) creates it with a fresh key, mode 0600 from the
/// first byte, so a single PC works with no setup and a second PC joins by copying the file. The key itself is
/// never printed or logged; only the path and the public key id are.
/// </summary>
internal static class ClusterKeyFile
{
    /// <summary>
    /// The key in <paramref name="path"/>. When the file is missing and <paramref name="createIfMissing"/> is set, a new
    /// key is written there and <paramref name="created"/> is true. Throws <see cref="FormatException"/> with a message
    /// for the operator (unreadable, malformed, group/world readable).
    /// </summary>
    public static ClusterKeySet LoadOrCreate(string path, bool createIfMissing, out bool created)
    {
        created = false;
        if (!File.Exists(path))
        {
            if (!createIfMissing)
                throw new FormatException($"cluster key file '{path}' does not exist (create one with 'flowmesh keygen > {path}', and copy the same file to every node)");
            var key = ClusterKey.Generate();
            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
                var options = new FileStreamOptions
                {
                    Mode = FileMode.CreateNew,
                    Access = FileAccess.Write,
                };
                if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                using (var stream = new FileStream(path, options))
                using (var writer = new StreamWriter(stream))
                {
                    writer.Write(key.ExportBase64() + "\n");
                    writer.Flush();
                    stream.Flush(flushToDisk: true);
                }
                created = true;
                return ClusterKeySet.Of(key);
            }
            catch (IOException) when (File.Exists(path))
            {
                // Another agent created it between our check and our create: use theirs.
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new FormatException($"cannot create cluster key file '{path}': {e.Message}", e);
            }
        }
        return Read(path);
    }

    /// <summary>
    /// The keys in an existing file (one or more transport keys and the sketch key, <see cref="ClusterKeySet"/>).
    /// Throws <see cref="FormatException"/> naming the file, never its content.
    /// </summary>
    public static ClusterKeySet Read(string path)
    {
        if (!OperatingSystem.IsWindows())
        {
            var mode = File.GetUnixFileMode(path);
            if ((mode & (UnixFileMode.GroupRead | UnixFileMode.OtherRead | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
                throw new FormatException($"cluster key file '{path}' is readable or writable by other users (mode {Convert.ToString((int)mode, 8)}); run: chmod 600 {path}");
        }
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FormatException($"cannot read cluster key file '{path}': {e.Message}", e);
        }
        try
        {
            return ClusterKeySet.Parse(text);
        }
        catch (FormatException e)
        {
            throw new FormatException($"cluster key file '{path}': {e.Message}", e);
        }
    }

    /// <summary>
    /// Replaces the file with <paramref name="keys"/>: written to a sibling file created 0600, flushed, then renamed
    /// over the old one, so an agent reloading it reads the old or the new keys, never half of them.
    /// </summary>
    public static void Write(string path, ClusterKeySet keys)
    {
        string full = Path.GetFullPath(path);
        string temporary = full + ".new";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        try
        {
            using (var stream = new FileStream(temporary, options))
            using (var writer = new StreamWriter(stream))
            {
                writer.Write(keys.Format());
                writer.Flush();
                stream.Flush(flushToDisk: true);
            }
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            File.Move(temporary, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FormatException($"cannot write cluster key file '{path}': {e.Message}", e);
        }
    }
}
