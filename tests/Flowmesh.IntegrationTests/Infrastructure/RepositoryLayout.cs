namespace Flowmesh.IntegrationTests.Infrastructure;

/// <summary>Where things are, found from the test's own output directory.</summary>
public static class RepositoryLayout
{
    private static readonly Lazy<string> s_root = new(FindRoot);

    /// <summary>The repository root: the nearest ancestor of the test binaries holding Flowmesh.sln.</summary>
    public static string Root => s_root.Value;

    public static string TestbedDirectory => Path.Combine(Root, "testbed");

    /// <summary>Public captures kept beside the repository, never in it (may be absent).</summary>
    public static string SharedPcapsDirectory => Path.GetFullPath(Path.Combine(Root, "..", "shared", "pcaps"));

    /// <summary>The CLI, built into this project's output directory through the project reference.</summary>
    public static string FlowmeshDll => Path.Combine(AppContext.BaseDirectory, "flowmesh.dll");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Flowmesh.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException($"no Flowmesh.sln above {AppContext.BaseDirectory}");
    }
}
