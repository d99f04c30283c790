using System.Globalization;

namespace Flowmesh.Agent.Output;

/// <summary>A clock offset for people, signed (positive: ahead of the cluster): "+0ms", "-340ms", "+3.4s", "+1h00m", "-8d00h".</summary>
internal static class ClockText
{
    public static string Offset(TimeSpan offset) => Seconds(offset.TotalSeconds);

    public static string Seconds(double seconds)
    {
        if (!double.IsFinite(seconds)) return "?";
        var sign = seconds < 0 ? "-" : "+";
        var magnitude = Math.Abs(seconds);
        // Whole seconds from 10 s on, rounded (AgeText truncates: 3599.999 s must read 1h00m, not 59m59s).
        return magnitude < 1 ? sign + (magnitude * 1000).ToString("0", CultureInfo.InvariantCulture) + "ms"
            : sign + AgeText.Of(magnitude < 10 ? magnitude : Math.Round(magnitude));
    }
}
