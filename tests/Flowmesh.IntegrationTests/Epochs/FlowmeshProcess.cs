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

    /// <summary>`flowmesh query ... --format json`, parsed: one document, the API's for the same question (docs/api.md).</summary>
    public static JsonElement QueryJson(params string[] arguments)
    {
        var (code, stdout, stderr) = Run(["query", .. arguments, "--format", "json"]);
        Assert.True(code == 0, $"flowmesh query failed ({code}): {stderr}");
        Assert.Contains("coverage:", stderr);
        return JsonDocument.Parse(stdout).RootElement.Clone();
    }

    /// <summary>The entries of a top or spread document, one per key.</summary>
    public static List<JsonElement> Entries(JsonElement document) => [.. document.GetProperty("entries").EnumerateArray()];

    /// <summary>True when <paramref name="exact"/> lies within a number's printed bound (a document's value/error/lower/upper).</summary>
    public static void AssertWithinBound(JsonElement measured, double exact, string what)
    {
        double lower = measured.GetProperty("lower").GetDouble(), upper = measured.GetProperty("upper").GetDouble();
        double value = measured.GetProperty("value").GetDouble(), error = measured.GetProperty("error").GetDouble();
        Assert.True(Math.Abs(exact - value) <= error + 1e-6, $"{what}: exact {exact} outside {value} ± {error}");
        Assert.InRange(exact, lower - 1e-6, upper + 1e-6);
    }
}
