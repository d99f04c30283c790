using System.Diagnostics;
using System.Globalization;
using System.Text;
using Flowmesh.IntegrationTests.Infrastructure;

namespace Flowmesh.IntegrationTests.Cluster;

/// <summary>
/// A long-running program inside a network namespace (an agent), started with "ip netns exec", which execs it, so
/// <see cref="Pid"/> is the program's own pid and a signal hits exactly it. Everything it prints goes, line by line
/// with a time stamp, into a log file that outlives the process (restarts append to the same file) and into memory
/// for failure messages. Dispose kills it if it still runs.
/// </summary>
internal sealed class NamespacedProcess : IDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly StringBuilder _output = new();
    private readonly Lock _gate = new();

    private NamespacedProcess(Process process, StreamWriter log, string description)
    {
        _process = process;
        _log = log;
        Description = description;
    }

    public string Description { get; }

    public int Pid { get; private init; }

    public bool HasExited => _disposed || _process.HasExited;

    public int ExitCode => _exitCode ?? _process.ExitCode;

    private int? _exitCode;

    public static NamespacedProcess Start(string netns, string logPath, string fileName, IReadOnlyList<string> arguments)
    {
        var start = new ProcessStartInfo("ip")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string argument in (string[])["netns", "exec", netns, fileName, .. arguments]) start.ArgumentList.Add(argument);
        start.Environment["LC_ALL"] = "C";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        string description = $"[{netns}] {fileName} {string.Join(' ', arguments)}";

        var log = new StreamWriter(new FileStream(logPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        log.WriteLine($"{Stamp()} === start: {description}");
        Process process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {description}");
        var started = new NamespacedProcess(process, log, description) { Pid = process.Id };
        process.OutputDataReceived += (_, e) => started.Append(e.Data);
        process.ErrorDataReceived += (_, e) => started.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.StandardInput.Close();
        return started;
    }

    /// <summary>What it printed so far (stdout and stderr interleaved as they came).</summary>
    public string Output { get { lock (_gate) return _output.ToString(); } }

    public string OutputTail(int characters = 3000)
    {
        string all = Output;
        return all.Length <= characters ? all : "..." + all[^characters..];
    }

    /// <summary>kill -9: no chance to clean up, exactly like a crash or power loss.</summary>
    public void Kill9() => Signal("KILL", TimeSpan.FromSeconds(10));

    /// <summary>SIGTERM and wait; false when it did not exit in time (it is then still running).</summary>
    public bool Terminate(TimeSpan timeout)
    {
        SendTerm();
        return WaitForExit(timeout);
    }

    /// <summary>SIGTERM without waiting (to stop several at once).</summary>
    public void SendTerm()
    {
        if (!_process.HasExited) ChildProcess.Run("kill", ["-TERM", Pid.ToString(CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(10));
    }

    public bool WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout)) return false;
        _process.WaitForExit();
        NoteExit();
        return true;
    }

    private void Signal(string signal, TimeSpan timeout)
    {
        if (_process.HasExited) return;
        ChildProcess.Run("kill", ["-" + signal, Pid.ToString(CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(10));
        if (!_process.WaitForExit(timeout)) throw new TimeoutException($"{Description} did not exit within {timeout.TotalSeconds} s of SIG{signal}");
        _process.WaitForExit(); // drains the output events
        NoteExit();
    }

    /// <summary>Writes the exit line once, when the exit is seen, so the log's time stamps tell when it ended.</summary>
    private void NoteExit()
    {
        lock (_gate)
        {
            if (_exitCode is not null) return;
            _exitCode = _process.ExitCode;
            try { _log.WriteLine($"{Stamp()} === exit {_exitCode.Value.ToString(CultureInfo.InvariantCulture)}"); } catch (ObjectDisposedException) { }
        }
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_gate)
        {
            _output.Append(line).Append('\n');
            try { _log.WriteLine($"{Stamp()} {line}"); } catch (ObjectDisposedException) { }
        }
    }

    private static string Stamp() => DateTime.UtcNow.ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture);

    private bool _disposed;

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (!_process.HasExited)
        {
            try { _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            _process.WaitForExit();
        }
        else
        {
            _process.WaitForExit();
        }
        NoteExit();
        lock (_gate) _log.Dispose();
        _process.Dispose();
    }
}
