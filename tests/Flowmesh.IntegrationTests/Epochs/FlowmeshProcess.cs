using System.Diagnostics;
using System.Text.Json;

namespace Flowmesh.IntegrationTests.Epochs;

/// <summary>Runs the real `flowmesh` CLI (the flowmesh.dll built next to the tests) as a child process.</summary>
internal static class FlowmeshProcess
{
    public static (int ExitCode, string Stdout, string Stderr) Run(params string[] arguments)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "flowmesh.dll");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(dll);
        foreach (string a in arguments) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"flowmesh {string.Join(' ', arguments)} did not finish");
        }
        return (process.ExitCode, stdout, stderr.Result);
    }

    /// <summary>`flowmesh query ... --format json`, parsed: one element per answer row.</summary>
    public static List<JsonElement> QueryJson(params string[] arguments)
    {
        var (code, stdout, stderr) = Run(["query", .. arguments, "--format", "json"]);
        Assert.True(code == 0, $"flowmesh query failed ({code}): {stderr}");
        Assert.Contains("coverage:", stderr);
        return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement.Clone()).ToList();
    }

    /// <summary>True when <paramref name="exact"/> lies within the row's printed bound.</summary>
    public static void AssertWithinBound(JsonElement row, double exact)
    {
        double estimate = row.GetProperty("estimate").GetDouble(), bound = row.GetProperty("error_bound").GetDouble();
        Assert.True(Math.Abs(exact - estimate) <= bound + 1e-6,
            $"{row.GetProperty("key").GetString()}: exact {exact} outside {estimate} ± {bound}");
    }
}
