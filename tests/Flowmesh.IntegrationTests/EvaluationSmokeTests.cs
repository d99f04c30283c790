using Flowmesh.IntegrationTests.Infrastructure;

namespace Flowmesh.IntegrationTests;

/// <summary>
/// bench/evaluate.sh is a benchmark, not a test, but it must not rot: its tiniest run (--quick --dry) goes into a
/// temporary directory and has to leave every CSV, every chart and a summary row per experiment. The figures
/// themselves are not judged here.
/// </summary>
public sealed class EvaluationSmokeTests
{
    private const int CannotRunHere = 77;
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(15);

    [Fact]
    public void Dry_run_writes_every_csv_chart_and_summary_row()
    {
        if (!Environment.IsPrivilegedProcess) Assert.Skip("needs root: network namespaces, eBPF and nftables");
        string bash = ExternalTool.RequireOrSkip("bash");
        using var dir = new TemporaryDirectory();
        string script = Path.Combine(RepositoryLayout.Root, "bench", "evaluate.sh");

        string dotnet = ExternalTool.RequireOrSkip("dotnet");
        // The test build's flowmesh.dll, so the suite never waits for a native AOT build.
        var run = ChildProcess.Run(bash, [script, "--quick", "--dry", "--out", dir.Path], RunTimeout, null,
            ("FLOWMESH", $"{dotnet} {RepositoryLayout.FlowmeshDll}"));

        if (run.ExitCode == CannotRunHere) Assert.Skip($"evaluate.sh cannot run here: {run.StandardError.Trim()}");
        Assert.True(run.ExitCode == 0, $"evaluate.sh failed with exit {run.ExitCode}:\n{run.StandardError}");
        bool pcaps = Directory.Exists(RepositoryLayout.SharedPcapsDirectory);
        string[] csvs = ["overhead.csv", "offline.csv", "scale.csv", "detection.csv", "accuracy.csv", "resilience.csv", "resilience-error.csv"];
        string[] charts = ["overhead.svg", "offline.svg", "scale.svg", "convergence.svg", "resilience.svg", .. pcaps ? ["accuracy.svg"] : Array.Empty<string>()];
        foreach (string file in csvs.Concat(charts))
        {
            string path = dir.File(file);
            Assert.True(File.Exists(path) && new FileInfo(path).Length > 0, $"evaluate.sh left no {file}:\n{run.StandardError}");
        }
        string report = File.ReadAllText(dir.File("evaluation.md"));
        string summary = report[report.IndexOf("## Summary", StringComparison.Ordinal)..];
        summary = summary[..summary.IndexOf("\n## ", 3, StringComparison.Ordinal)];
        for (int experiment = 1; experiment <= 6; experiment++)
            Assert.Contains($"\n| {experiment} ", summary);
    }
}
