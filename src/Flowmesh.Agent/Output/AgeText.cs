using System.Globalization;

namespace Flowmesh.Agent.Output;

/// <summary>A duration for people, short: "0.4s", "12s", "3m05s", "2h07m", "3d04h" (truncated, not rounded).</summary>
internal static class AgeText
{
    public static string Of(double seconds)
    {
        if (!double.IsFinite(seconds) || seconds < 0) return "?";
        if (seconds < 10) return seconds.ToString("0.0", CultureInfo.InvariantCulture) + "s";
        long s = (long)seconds;
        return s < 60 ? $"{s}s"
            : s < 3600 ? $"{s / 60}m{s % 60:00}s"
            : s < 86400 ? $"{s / 3600}h{s % 3600 / 60:00}m"
            : $"{s / 86400}d{s % 86400 / 3600:00}h";
    }
}
