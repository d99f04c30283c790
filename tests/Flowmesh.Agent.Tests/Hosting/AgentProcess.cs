using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Flowmesh.Agent.Tests.Hosting;

/// <summary>
/// A real `flowmesh agent` child process (dotnet flowmesh.dll) on loopback with free ports. Its stderr is collected;
/// the start line tells where gossip and the API listen. Dispose kills it if a test left it running.
/// </summary>
internal sealed partial class AgentProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly TaskCompletionSource<string> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private AgentProcess(Process process) => _process = process;

    public static string FlowmeshDll => Path.Combine(AppContext.BaseDirectory, "flowmesh.dll");

    public int Id => _process.Id;
    public Uri Api { get; private set; } = null!;
    public string Gossip { get; private set; } = "";
    public string Fingerprint { get; private set; } = "";
    public uint Incarnation { get; private set; }

    public string Output
    {
        get { lock (_lines) return string.Join('\n', _lines); }
    }

    public bool HasExited => _process.HasExited;

    /// <summary>Starts an agent with --capture none, loopback ports picked by the OS, and <paramref name="extra"/> options.</summary>
    public static AgentProcess Start(string name, string dataDirectory, params string[] extra) =>
        StartIn(null, name, dataDirectory, extra);

    /// <summary>
    /// The flags that make an agent a member of the cluster whose authority is the local one of the agent with data
    /// directory <paramref name="authorityDataDirectory"/> (its &lt;data-dir&gt;/ca): a bundle for <paramref name="name"/>,
    /// enrolled once and reused on restarts, as an operator's 'flowmesh enroll' would write it (issue 16).
    /// </summary>
    public static string[] EnrolledBy(string authorityDataDirectory, string name)
    {
        string bundle = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(authorityDataDirectory))!, name + ".bundle");
        if (!File.Exists(bundle))
        {
            using var authority = Flowmesh.Agent.Enrolment.AuthorityDirectory.Open(Path.Combine(authorityDataDirectory, "ca"));
            authority.Enrol(new Flowmesh.Gossip.NodeId(name), TimeSpan.FromDays(1), null).WriteTo(bundle, overwrite: false);
        }
        return ["--certificate", bundle, "--key-file", Path.Combine(authorityDataDirectory, "cluster.key")];
    }

    /// <summary>As <see cref="Start"/>, with extra environment variables for the agent process (e.g. a faked clock).</summary>
    public static AgentProcess StartIn(IReadOnlyDictionary<string, string>? environment, string name, string dataDirectory, params string[] extra) =>
        StartRaw(["agent", "--name", name, "--data-dir", dataDirectory, "--api", "127.0.0.1:0", "--no-discovery",
            .. extra.Contains("--bind") ? [] : new[] { "--bind", "127.0.0.1:0" },
            .. extra.Contains("--capture") ? [] : new[] { "--capture", "none" }, .. extra], environment: environment);

    public static AgentProcess StartRaw(string[] arguments, bool waitForStart = true, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false };
        start.ArgumentList.Add(FlowmeshDll);
        foreach (string a in arguments) start.ArgumentList.Add(a);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) start.Environment[key] = value;
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the agent");
        var agent = new AgentProcess(process);
        process.ErrorDataReceived += (_, e) => agent.OnLine(e.Data);
        process.OutputDataReceived += (_, e) => agent.OnLine(e.Data);
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        process.StandardInput.Close();
        if (waitForStart) agent.WaitForStart(TimeSpan.FromSeconds(60));
        return agent;
    }

    private void OnLine(string? line)
    {
        if (line is null) return;
        lock (_lines) _lines.Add(line);
        var match = StartLine().Match(line);
        if (match.Success)
        {
            Incarnation = uint.Parse(match.Groups["incarnation"].Value);
            Fingerprint = match.Groups["key"].Value;
            Gossip = match.Groups["gossip"].Value;
            Api = new Uri(match.Groups["api"].Value);
            _started.TrySetResult(line);
        }
    }

    /// <summary>For a process started with waitForStart: false. Throws with the output when it exits instead.</summary>
    public void WaitForStartOrExit(TimeSpan timeout) => WaitForStart(timeout);

    private void WaitForStart(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!_started.Task.IsCompleted)
        {
            if (_process.HasExited)
            {
                _process.WaitForExit();
                throw new InvalidOperationException($"the agent exited with {_process.ExitCode} before starting:\n{Output}");
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"the agent did not start within {timeout.TotalSeconds} s:\n{Output}");
            Thread.Sleep(50);
        }
    }

    /// <summary>Sends a signal ("TERM", "INT") with kill(1), to this process only.</summary>
    public void Signal(string signal)
    {
        using var kill = Process.Start("kill", ["-s", signal, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
        kill.WaitForExit();
        if (kill.ExitCode != 0) throw new InvalidOperationException($"kill -s {signal} {_process.Id} failed");
    }

    public void Terminate() => Signal("TERM");

    /// <summary>Waits for the exit and returns the code; throws with the output when it does not come in time.</summary>
    public int WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout)) throw new TimeoutException($"the agent did not exit within {timeout.TotalSeconds} s:\n{Output}");
        _process.WaitForExit();
        return _process.ExitCode;
    }

    /// <summary>Runs `flowmesh ARGUMENTS` to its end (60 s at most): exit code, stdout and stderr.</summary>
    public static (int Code, string Output, string Error) Cli(params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add(FlowmeshDll);
        foreach (string a in arguments) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var error = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        if (!process.WaitForExit(TimeSpan.FromSeconds(60))) { process.Kill(); throw new TimeoutException($"flowmesh {string.Join(' ', arguments)} hung"); }
        process.WaitForExit();
        return (process.ExitCode, output.GetAwaiter().GetResult(), error.GetAwaiter().GetResult());
    }

    /// <summary>Polls until <paramref name="condition"/> holds (an API not answering yet counts as not yet); throws with <paramref name="explain"/> after the timeout.</summary>
    public static void WaitUntil(Func<bool> condition, TimeSpan timeout, Func<string> explain)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                if (condition()) return;
            }
            catch (HttpRequestException) { }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"not within {timeout.TotalSeconds} s:\n{explain()}");
            Thread.Sleep(200);
        }
    }

    /// <summary>GET <paramref name="path"/> on the agent's API (10 s at most).</summary>
    public string Get(string path)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        return http.GetStringAsync(new Uri(Api, path), TestContext.Current.CancellationToken).GetAwaiter().GetResult();
    }

    public JsonElement Status() => JsonDocument.Parse(Get("api/v1/status")).RootElement;

    /// <summary>Every record the agent holds (id → content hash).</summary>
    public Dictionary<(string Origin, long Start, long Length), string> Records()
    {
        using var json = JsonDocument.Parse(Get("api/v1/records?limit=10000"));
        Assert.False(json.RootElement.GetProperty("truncated").GetBoolean());
        return json.RootElement.GetProperty("records").EnumerateArray().ToDictionary(
            r => (r.GetProperty("origin").GetString()!, r.GetProperty("startMicros").GetInt64(), r.GetProperty("lengthMicros").GetInt64()),
            r => r.GetProperty("contentHash").GetString()!);
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }

    [GeneratedRegex(@"^flowmesh: agent \S+ \(incarnation (?<incarnation>\d+), key (?<key>[0-9a-f]+)\) gossip on \S+ as (?<gossip>\S+), API (?<api>\S+),")]
    private static partial Regex StartLine();
}
