using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Flowmesh.Capture.Tests.Ebpf;

/// <summary>tcpdump writing one interface to a pcap file: the independent record the kernel counters are checked against.</summary>
internal sealed partial class TcpdumpRecording : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private TcpdumpRecording(string path, Process process)
    {
        Path = path;
        _process = process;
    }

    public string Path { get; }

    /// <summary>Packets tcpdump reported "dropped by kernel" (valid after <see cref="Stop"/>).</summary>
    public long KernelDrops { get; private set; }

    /// <param name="snapLength">Bytes kept per packet; 0: whole packets (payload comparisons such as DNS).</param>
    public static TcpdumpRecording Start(string device, string path, int snapLength = 128)
    {
        // Snap length 128: headers are all the comparison needs; -B 32 MB so bursts are not dropped.
        // Immediate mode: otherwise packets wait in a partly filled TPACKET_V3 block, and the last ones
        // are silently lost (not even counted as drops) when tcpdump is stopped.
        Process process = Command.Start("tcpdump", "-i", device, "-n", "--immediate-mode", "-s", snapLength.ToString(CultureInfo.InvariantCulture), "-B", "32768", "-w", path);
        var recording = new TcpdumpRecording(path, process);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (recording._stderr) recording._stderr.AppendLine(e.Data);
            if (e.Data.Contains("listening on", StringComparison.Ordinal)) recording._listening.TrySetResult();
        };
        process.BeginErrorReadLine();
        if (!recording._listening.Task.Wait(TimeSpan.FromSeconds(10)))
        {
            recording.Dispose();
            throw new InvalidOperationException("tcpdump did not start listening: " + recording.Stderr);
        }
        return recording;
    }

    private string Stderr
    {
        get
        {
            lock (_stderr) return _stderr.ToString();
        }
    }

    /// <summary>Stops tcpdump the way a user would (SIGINT), so it flushes the file and prints its statistics.</summary>
    public void Stop()
    {
        if (_process.HasExited) return;
        Command.Signal(_process, "INT");
        if (!_process.WaitForExit(TimeSpan.FromSeconds(10))) throw new TimeoutException("tcpdump did not stop on SIGINT");
        _process.WaitForExit(); // drains the stderr events
        Match dropped = DroppedByKernel().Match(Stderr);
        if (!dropped.Success) throw new InvalidOperationException("tcpdump printed no statistics: " + Stderr);
        KernelDrops = long.Parse(dropped.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }
        _process.Dispose();
    }

    [GeneratedRegex(@"(\d+) packets? dropped by kernel")]
    private static partial Regex DroppedByKernel();
}
