namespace Flowmesh.Agent.Tests;

/// <summary>The repository the tests run from, for tests that read its files (units, docs).</summary>
internal static class RepositoryPaths
{
    public static string Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Flowmesh.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no Flowmesh.sln above {AppContext.BaseDirectory}");
    }
}
