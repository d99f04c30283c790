using System.Diagnostics;

namespace Flowmesh.IntegrationTests.Infrastructure;

/// <summary>
/// Runs a real program to completion with a deadline. A program that overruns is killed with its
/// whole process tree and the test fails with what it had printed, so a hang never stalls the suite.
/// </summary>
public static class ChildProcess
{
    public static ProcessResult Run(string fileName, IEnumerable<string> arguments, TimeSpan timeout, string? workingDirectory = null,
        params (string Name, string Value)[] environment)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (string argument in arguments) start.ArgumentList.Add(argument);
        // Child tools print in a fixed language and format; LC_ALL=C keeps tshark and friends predictable.
        start.Environment["LC_ALL"] = "C";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        foreach (var (name, value) in environment) start.Environment[name] = value;

        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {fileName}");
        process.StandardInput.Close();
        // Both pipes are drained concurrently: a child blocked on a full stderr pipe would look like a hang.
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            process.WaitForExit();
            throw new TimeoutException(
                $"{fileName} {string.Join(' ', start.ArgumentList)} did not finish within {timeout.TotalSeconds:0} s; stderr so far:\n{Tail(stderr)}");
        }
        process.WaitForExit(); // lets the output pipes reach end of file
        return new ProcessResult(process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult(), clock.Elapsed);
    }

    private static string Tail(Task<string> output)
    {
        if (!output.Wait(TimeSpan.FromSeconds(5))) return "(unavailable)";
        string text = output.Result;
        return text.Length <= 4000 ? text : "..." + text[^4000..];
    }
}
