namespace Flowmesh.Agent.Tests;

/// <summary>The repository the tests run from: the nearest ancestor of the test binaries holding Flowmesh.sln.</summary>
internal static class RepositoryRoot
{
    private static readonly Lazy<string> s_path = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (System.IO.File.Exists(System.IO.Path.Combine(dir.FullName, "Flowmesh.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no Flowmesh.sln above {AppContext.BaseDirectory}");
    });

    public static string Path => s_path.Value;

    /// <summary>A file of the repository, by its path parts ("deploy", "agent.json").</summary>
    public static string File(params string[] parts) => System.IO.Path.Combine([s_path.Value, .. parts]);
}
