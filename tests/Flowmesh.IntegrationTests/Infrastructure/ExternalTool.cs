namespace Flowmesh.IntegrationTests.Infrastructure;

/// <summary>Finds real tools on PATH, so tests can skip with a clear reason when one is missing.</summary>
public static class ExternalTool
{
    public static string? Find(string name)
    {
        string[] directories = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        return directories
            .Concat(["/usr/sbin", "/sbin", "/usr/bin", "/bin"])
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);
    }

    /// <summary>The path of <paramref name="name"/>, or the test is skipped.</summary>
    public static string RequireOrSkip(string name)
    {
        string? path = Find(name);
        if (path is null) Assert.Skip($"{name} is not installed (scripts/setup.sh installs it)");
        return path;
    }
}
