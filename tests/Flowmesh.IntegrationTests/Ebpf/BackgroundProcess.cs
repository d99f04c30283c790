using System.Diagnostics;
using System.Globalization;
using System.Text;
using Flowmesh.IntegrationTests.Infrastructure;

namespace Flowmesh.IntegrationTests.Ebpf;

/// <summary>
/// A real program left running while a test makes traffic (flowmesh, tcpdump, servers): its output is
/// collected as it comes, it can be awaited until it says something, and it is stopped by a signal to
/// its own pid. Dispose kills it if it is still running, so a failed test leaves nothing behind.
/// </summary>
internal sealed class BackgroundProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly string _name;

    private BackgroundProcess(Process process, string name)
    {
        _process = process;
        _name = name;
    }

    public static BackgroundProcess Start(string fileName, params string[] arguments)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments) start.ArgumentList.Add(argument);
        start.Environment["LC_ALL"] = "C";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        Process process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {fileName}");
        var background = new BackgroundProcess(process, $"{fileName} {string.Join(' ', arguments)}");
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (background._stdout) background._stdout.Append(e.Data).Append('\n'); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (background._stderr) background._stderr.Append(e.Data).Append('\n'); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.StandardInput.Close();
        return background;
    }

    public string StandardOutput { get { lock (_stdout) return _stdout.ToString(); } }
    public string StandardError { get { lock (_stderr) return _stderr.ToString(); } }
    public int ExitCode => _process.ExitCode;

    /// <summary>Waits until stderr contains <paramref name="text"/>; fails with what the program said if it exits or the time runs out first.</summary>
    public void WaitForStandardError(string text, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!StandardError.Contains(text, StringComparison.Ordinal))
        {
            if (_process.HasExited || clock.Elapsed > timeout)
                throw new InvalidOperationException($"{_name} did not print '{text}' (exited: {_process.HasExited}); stderr:\n{StandardError}");
            Thread.Sleep(50);
        }
    }

    /// <summary>Waits until stdout or stderr contains <paramref name="text"/> (daemons differ in which one they log to).</summary>
    public void WaitForOutput(string text, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!StandardError.Contains(text, StringComparison.Ordinal) && !StandardOutput.Contains(text, StringComparison.Ordinal))
        {
            if (_process.HasExited || clock.Elapsed > timeout)
                throw new InvalidOperationException($"{_name} did not print '{text}' (exited: {_process.HasExited}); output:\n{StandardOutput}{StandardError}");
            Thread.Sleep(50);
        }
    }

    /// <summary>Sends <paramref name="signal"/> (e.g. "TERM") to this process only and waits for it to exit.</summary>
    public void Stop(string signal, TimeSpan timeout)
    {
        if (!_process.HasExited)
        {
            ChildProcess.Run("kill", ["-" + signal, _process.Id.ToString(CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(10));
            if (!_process.WaitForExit(timeout)) throw new TimeoutException($"{_name} did not exit within {timeout.TotalSeconds} s of SIG{signal}; stderr:\n{StandardError}");
        }
        _process.WaitForExit(); // drains the output events
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            try { _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            _process.WaitForExit();
        }
        _process.Dispose();
    }
}
