using System.Globalization;

namespace Flowmesh.Capture.HostContext.Processes;

/// <summary>Reads /proc/PID/status text.</summary>
internal static class ProcStatus
{
    /// <summary>The real uid from the "Uid:" line (real, effective, saved, fs), or null when absent or malformed.</summary>
    public static uint? RealUserId(string? status)
    {
        if (status is null) return null;
        foreach (string line in status.Split('\n'))
        {
            if (!line.StartsWith("Uid:", StringComparison.Ordinal)) continue;
            string[] fields = line[4..].Split(['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
            return fields.Length > 0 && uint.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out uint uid) ? uid : null;
        }
        return null;
    }
}
