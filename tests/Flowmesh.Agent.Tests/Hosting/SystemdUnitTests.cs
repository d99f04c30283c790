using System.Diagnostics;

namespace Flowmesh.Agent.Tests.Hosting;

/// <summary>deploy/flowmesh.service is a unit systemd accepts, and it keeps the promises deploy/README.md makes.</summary>
public sealed class SystemdUnitTests
{
    private static string UnitPath => Path.Combine(RepositoryRoot.Path, "deploy", "flowmesh.service");

    [Theory]
    [InlineData("flowmesh.service")]
    [InlineData("flowmesh-sleep.service")]
    public void SystemdAnalyzeVerifyAcceptsTheUnit(string unitName)
    {
        string? analyze = new[] { "/usr/bin/systemd-analyze", "/bin/systemd-analyze" }.FirstOrDefault(File.Exists);
        if (analyze is null) Assert.Skip("systemd-analyze is not installed (package systemd)");
        // verify checks that ExecStart's binary exists; point it at one that does, keeping everything else.
        string directory = Directory.CreateTempSubdirectory("fmh-unit-").FullName;
        try
        {
            string unit = Path.Combine(directory, unitName);
            File.WriteAllText(unit, File.ReadAllText(Path.Combine(RepositoryRoot.Path, "deploy", unitName)).Replace("/usr/local/bin/flowmesh", "/usr/bin/env", StringComparison.Ordinal));
            var start = new ProcessStartInfo(analyze, ["verify", unit]) { RedirectStandardError = true, RedirectStandardOutput = true };
            using var process = Process.Start(start)!;
            string output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
            Assert.True(process.WaitForExit(TimeSpan.FromSeconds(60)), "systemd-analyze did not finish");
            // Any line about our unit is a complaint (unknown key, bad value); other units' noise is not ours.
            var complaints = output.Split('\n').Where(l => l.Contains(unitName, StringComparison.Ordinal)).ToList();
            Assert.True(process.ExitCode == 0 && complaints.Count == 0, output);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void Sleep_stops_the_agent_before_and_starts_it_after()
    {
        var lines = File.ReadAllLines(Path.Combine(RepositoryRoot.Path, "deploy", "flowmesh-sleep.service"));
        Assert.Contains("Before=sleep.target", lines);
        Assert.Contains("WantedBy=sleep.target", lines);
        Assert.Contains("StopWhenUnneeded=yes", lines);
        Assert.Contains("ExecStart=/usr/bin/systemctl stop flowmesh.service", lines);
        Assert.Contains("ExecStop=/usr/bin/systemctl start --no-block flowmesh.service", lines);
    }

    [Fact]
    public void TheUnitStopsWithSigtermKeepsStateAndRestartsOnFailure()
    {
        var settings = File.ReadAllLines(UnitPath)
            .Where(l => l.Contains('=') && !l.TrimStart().StartsWith('#'))
            .Select(l => l.Split('=', 2))
            .ToLookup(p => p[0].Trim(), p => p[1].Trim());
        Assert.Equal("SIGTERM", settings["KillSignal"].Single());
        Assert.Equal("on-failure", settings["Restart"].Single());
        Assert.Equal("flowmesh", settings["StateDirectory"].Single());
        Assert.Contains("--data-dir ${STATE_DIRECTORY}", settings["ExecStart"].Single());
        Assert.StartsWith("/usr/local/bin/flowmesh agent", settings["ExecStart"].Single());
        // The stop timeout leaves room for the agent's bounded leave (5 s) before SIGKILL.
        Assert.True(int.Parse(settings["TimeoutStopSec"].Single()) > 5);
        // Not root: its own user with exactly the capture capabilities, in the ambient and the bounding set alike.
        Assert.Equal("flowmesh", settings["User"].Single());
        Assert.Equal("flowmesh", settings["Group"].Single());
        string[] capture = ["CAP_BPF", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_PERFMON"];
        Assert.Equal(capture, settings["AmbientCapabilities"].Single().Split(' ').Order());
        Assert.Equal(capture, settings["CapabilityBoundingSet"].Single().Split(' ').Order());
        Assert.Equal("infinity", settings["LimitMEMLOCK"].Single());
    }
}
