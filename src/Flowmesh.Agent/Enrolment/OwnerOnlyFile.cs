namespace Flowmesh.Agent.Enrolment;

/// <summary>
/// Writes a file readable by its owner only (mode 0600 from the first byte, never wider even for a moment), through a
/// temporary file renamed over the target, so a reader never sees half a key or half a revocation list.
/// </summary>
internal static class OwnerOnlyFile
{
    public static void Write(string path, ReadOnlySpan<byte> content, bool overwrite)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        if (!overwrite && File.Exists(full)) throw new IOException($"'{full}' already exists; refusing to overwrite it");
        var temporary = full + ".tmp-" + Environment.ProcessId;
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var stream = new FileStream(temporary, options))
        {
            stream.Write(content);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temporary, full, overwrite);
    }

    /// <summary>Refuses a secret file that group or others can read or write: the operator must see that, not us guess.</summary>
    public static void RequirePrivate(string path, string what)
    {
        if (OperatingSystem.IsWindows()) return;
        var mode = File.GetUnixFileMode(path);
        if ((mode & (UnixFileMode.GroupRead | UnixFileMode.OtherRead | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
            throw new EnrolmentException($"{what} '{path}' is readable or writable by other users (mode {Convert.ToString((int)mode, 8)}); run: chmod 600 {path}");
    }
}
