namespace Flowmesh.Tests.Shared;

/// <summary>
/// A copy of the test output directory that user nobody can read and run. Tests that re-run a binary
/// without privileges (setpriv --reuid=65534) need it: the clone may sit under a directory only root can
/// enter (/root, a 0700 temporary directory), where the unprivileged process cannot even start.
/// </summary>
internal sealed class WorldReadableCopy : IDisposable
{
    private const UnixFileMode Directories = (UnixFileMode)0x1ED;   // 0755
    private const UnixFileMode Files = (UnixFileMode)0x1A4;         // 0644
    private const UnixFileMode Executables = (UnixFileMode)0x1ED;   // 0755

    private WorldReadableCopy(string path) => Path = path;

    public string Path { get; }

    public static WorldReadableCopy OfTestOutput()
    {
        var root = Directory.CreateTempSubdirectory("flowmesh-unprivileged-");
        SetMode(root.FullName, Directories);
        var copy = new WorldReadableCopy(root.FullName);
        try
        {
            CopyTree(AppContext.BaseDirectory, root.FullName);
            return copy;
        }
        catch
        {
            copy.Dispose();
            throw;
        }
    }

    public string Combine(string relativePath) => System.IO.Path.Combine(Path, relativePath);

    private static void CopyTree(string source, string destination)
    {
        foreach (string directory in Directory.GetDirectories(source))
        {
            string target = System.IO.Path.Combine(destination, System.IO.Path.GetFileName(directory));
            Directory.CreateDirectory(target);
            SetMode(target, Directories);
            CopyTree(directory, target);
        }
        foreach (string file in Directory.GetFiles(source))
        {
            string target = System.IO.Path.Combine(destination, System.IO.Path.GetFileName(file));
            File.Copy(file, target);
            if (OperatingSystem.IsWindows()) continue;
            bool executable = (File.GetUnixFileMode(file) & UnixFileMode.UserExecute) != 0;
            SetMode(target, executable ? Executables : Files);
        }
    }

    private static void SetMode(string path, UnixFileMode mode)
    {
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, mode);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
