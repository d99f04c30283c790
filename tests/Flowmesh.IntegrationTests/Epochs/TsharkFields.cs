using System.Diagnostics;

namespace Flowmesh.IntegrationTests.Epochs;

/// <summary>The independent truth: per-packet fields as tshark decodes them.</summary>
internal static class TsharkFields
{
    public static bool Available => File.Exists("/usr/bin/tshark") || File.Exists("/usr/local/bin/tshark");

    /// <summary>One string[] per packet, in the order of <paramref name="fields"/>; empty strings for absent fields.</summary>
    public static List<string[]> Read(string capture, string displayFilter, params string[] fields)
    {
        var info = new ProcessStartInfo("tshark") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { "-n", "-r", capture, "-T", "fields", "-E", "separator=/t", "-E", "occurrence=f" }) info.ArgumentList.Add(a);
        if (displayFilter.Length > 0)
        {
            info.ArgumentList.Add("-Y");
            info.ArgumentList.Add(displayFilter);
        }
        foreach (string f in fields)
        {
            info.ArgumentList.Add("-e");
            info.ArgumentList.Add(f);
        }
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"tshark failed: {stderr.Result}");
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Split('\t')).ToList();
    }

    /// <summary>Bytes (IP total length) sent per IPv4 source address.</summary>
    public static Dictionary<string, long> BytesBySource(string capture) =>
        Read(capture, "ip", "ip.src", "ip.len").GroupBy(f => f[0]).ToDictionary(g => g.Key, g => g.Sum(f => long.Parse(f[1])));
}
