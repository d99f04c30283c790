using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Flowmesh.Capture.Tests.Ebpf;

namespace Flowmesh.Capture.Tests.HostContext;

/// <summary>The independent truth for process attribution tests: pids as ss reports them, and waiting for servers.</summary>
internal static partial class ProcessProbe
{
    /// <summary>The pid ss -tlnp / -ulnp (or, with <paramref name="netns"/>, inside a namespace) names for a local port.</summary>
    public static int ListenerPid(string protocolFlag, int port, string? netns = null)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            string[] ss = ["ss", "-Hn" + protocolFlag + "lp", "sport", "=", ":" + port.ToString(CultureInfo.InvariantCulture)];
            string output = netns is null ? Command.Run(ss[0], ss[1..]).Output : Command.Run("ip", ["netns", "exec", netns, .. ss]).Output;
            Match pid = SsPid().Match(output);
            if (pid.Success) return int.Parse(pid.Groups[1].Value, CultureInfo.InvariantCulture);
            if (clock.Elapsed > TimeSpan.FromSeconds(20)) throw new TimeoutException($"nothing listens on {protocolFlag} port {port}: {output}");
            Thread.Sleep(100);
        }
    }

    /// <summary>The pid ss -tnp names for the established socket whose local endpoint is <paramref name="local"/> (addr:port).</summary>
    public static int? ConnectedPid(string local)
    {
        string output = Command.Run("ss", "-Htnpi", "state", "established").Output;
        foreach (string line in output.Split('\n'))
        {
            string[] fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length >= 5 && fields[2] == local)
            {
                Match pid = SsPid().Match(line);
                if (pid.Success) return int.Parse(pid.Groups[1].Value, CultureInfo.InvariantCulture);
            }
        }
        return null;
    }

    /// <summary>The pid and name /proc shows, or null when the process is gone.</summary>
    public static string? ProcName(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/comm").TrimEnd('\n');
        }
        catch (IOException)
        {
            return null;
        }
    }

    [GeneratedRegex(@"pid=(\d+)")]
    private static partial Regex SsPid();
}
