using System.Diagnostics;
using System.Xml.Linq;
using Flowmesh.Agent.Cli;
using Flowmesh.Agent.Tests.Hosting;

namespace Flowmesh.Agent.Tests.Cli;

/// <summary>`flowmesh --version`: the version of Directory.Build.props, the commit git says was built, and the build time.</summary>
public sealed class BuildInfoTests
{
    [Fact]
    public void TheInformationalVersionSplitsIntoVersionAndCommit()
    {
        Assert.Equal(new BuildInfo("0.1.0", "3f2c9e", "2026-12-07T16:00:00Z"), BuildInfo.Parse("0.1.0+3f2c9e", "2026-12-07T16:00:00Z"));
        Assert.Equal(new BuildInfo("0.1.0", null, null), BuildInfo.Parse("0.1.0", ""));
        Assert.Equal(new BuildInfo("0.1.0", null, null), BuildInfo.Parse("0.1.0+", null));
        Assert.Equal("flowmesh 1.2.3\ncommit abc\nbuilt 2026-12-07T16:00:00Z\n", new BuildInfo("1.2.3", "abc", "2026-12-07T16:00:00Z").Format());
    }

    [Fact]
    public void VersionPrintsThePropsVersionAndTheCheckedOutCommit()
    {
        string root = RepositoryRoot.Path;
        string version = XDocument.Load(Path.Combine(root, "Directory.Build.props")).Descendants("Version").Single().Value;
        var (code, output, error) = AgentProcess.Cli("--version");
        Assert.True(code == 0, error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal($"flowmesh {version}", lines[0]);
        Assert.StartsWith("commit ", lines[1]);
        Assert.StartsWith("built ", lines[2]);
        // Independent truth for the commit: git, where the tests run in a checkout (the build and the test run share HEAD).
        if (Git(root, "rev-parse", "HEAD") is { } head) Assert.Equal($"commit {head}", lines[1]);
    }

    private static string? Git(string directory, params string[] arguments)
    {
        try
        {
            var start = new ProcessStartInfo("git") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string a in arguments) start.ArgumentList.Add(a);
            using var process = Process.Start(start)!;
            string output = process.StandardOutput.ReadToEnd().Trim();
            process.WaitForExit();
            return process.ExitCode == 0 && output.Length > 0 ? output : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // no git
        }
    }
}
