namespace Flowmesh.IntegrationTests.Infrastructure;

/// <summary>Installs tests/browser's npm packages (playwright-core, no browser download) once, when missing or changed.</summary>
public static class BrowserPackages
{
    private static readonly Lock Gate = new();

    public static void Install(string directory)
    {
        lock (Gate)
        {
            string stamp = Path.Combine(directory, "node_modules", ".flowmesh-installed");
            string lockFile = Path.Combine(directory, "package-lock.json");
            if (File.Exists(stamp) && File.GetLastWriteTimeUtc(stamp) >= File.GetLastWriteTimeUtc(lockFile)) return;
            string npm = ExternalTool.RequireOrSkip("npm");
            ProcessResult result = ChildProcess.Run(npm, ["ci", "--no-audit", "--no-fund", "--loglevel=error"], TimeSpan.FromMinutes(5), directory);
            if (result.ExitCode != 0) throw new InvalidOperationException($"npm ci in {directory} failed ({result.ExitCode}):\n{result.StandardError}");
            File.WriteAllText(stamp, "");
        }
    }
}
