using System.Globalization;

namespace Flowmesh.Capture.Live;

/// <summary>Whether this process may open a packet socket: root, or the CAP_NET_RAW capability.</summary>
public static class CapturePrivileges
{
    private const int CapNetRaw = 13;

    public static bool CanCapture() =>
        Environment.IsPrivilegedProcess || HasNetRaw(ReadStatus());

    /// <summary>True when the CapEff line of a /proc/[pid]/status text includes CAP_NET_RAW.</summary>
    public static bool HasNetRaw(string procStatus)
    {
        foreach (string line in procStatus.Split('\n'))
        {
            if (!line.StartsWith("CapEff:", StringComparison.Ordinal)) continue;
            return ulong.TryParse(line.AsSpan(7).Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ulong caps)
                   && (caps & (1UL << CapNetRaw)) != 0;
        }
        return false;
    }

    public static string MissingMessage(string interfaceName) =>
        $"capturing on {interfaceName} needs root or CAP_NET_RAW; run with sudo";

    private static string ReadStatus()
    {
        try
        {
            return File.ReadAllText("/proc/self/status");
        }
        catch (IOException)
        {
            return "";
        }
    }
}
