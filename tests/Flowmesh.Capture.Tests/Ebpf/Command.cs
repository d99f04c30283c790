using System.Diagnostics;

namespace Flowmesh.Capture.Tests.Ebpf;

/// <summary>Runs the real tools (ip, tc, tcpdump, tshark, iperf3, hping3, clang) the eBPF tests drive and compare against.</summary>
internal static class Command
{
    public sealed record Result(int ExitCode, string Output, string Error)
    {
        public Result EnsureSuccess(string what) =>
            ExitCode == 0 ? this : throw new InvalidOperationException($"{what} failed with exit code {ExitCode}: {Error.Trim()} {Output.Trim()}");
    }

    public static Result Run(string file, params string[] arguments) => Run(TimeSpan.FromSeconds(60), file, arguments);

    public static Result Run(TimeSpan timeout, string file, params string[] arguments)
    {
        using Process process = Start(file, arguments);
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', arguments)} did not finish within {timeout.TotalSeconds} s");
        }
        return new Result(process.ExitCode, output.Result, error.Result);
    }

    /// <summary>Runs and throws with the tool's own message on failure.</summary>
    public static string Check(string file, params string[] arguments) =>
        Run(file, arguments).EnsureSuccess($"{file} {string.Join(' ', arguments)}").Output;

    public static Process Start(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments) start.ArgumentList.Add(argument);
        return Process.Start(start) ?? throw new InvalidOperationException($"could not start {file}");
    }

    public static bool IsOnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Any(directory => File.Exists(Path.Combine(directory, tool)));

    /// <summary>Sends a signal to one process we started (never by name).</summary>
    public static void Signal(Process process, string signal) => Run("kill", "-" + signal, process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
}
