using System.Globalization;

namespace Flowmesh.Agent.Cli;

/// <summary>Durations on the command line: "500ms", "10s", "5m", "1h", "7d", or a bare number of seconds.</summary>
internal static class DurationText
{
    public static TimeSpan? Parse(string text, string option, TimeSpan min, TimeSpan max, out string? error)
    {
        error = null;
        string t = text.Trim().ToLowerInvariant();
        (string number, double scale) = t.EndsWith("ms", StringComparison.Ordinal) ? (t[..^2], 0.001)
            : t.EndsWith('s') ? (t[..^1], 1)
            : t.EndsWith('m') ? (t[..^1], 60)
            : t.EndsWith('h') ? (t[..^1], 3600)
            : t.EndsWith('d') ? (t[..^1], 86400)
            : (t, 1);
        if (!double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double value)
            || value <= 0 || !double.IsFinite(value) || value * scale > max.TotalSeconds * 2 + 1)
        {
            error = $"{option} '{text}' is not a positive duration such as 10s, 5m, 1h or 7d.";
            return null;
        }
        var duration = TimeSpan.FromMicroseconds(Math.Round(value * scale * 1e6));
        if (duration < min || duration > max)
        {
            error = $"{option} '{text}' must be between {Describe(min)} and {Describe(max)}.";
            return null;
        }
        return duration;
    }

    private static string Describe(TimeSpan t) =>
        t.TotalDays >= 1 && t.TotalDays % 1 == 0 ? $"{t.TotalDays:0}d"
        : t.TotalHours >= 1 && t.TotalHours % 1 == 0 ? $"{t.TotalHours:0}h"
        : t.TotalMinutes >= 1 && t.TotalMinutes % 1 == 0 ? $"{t.TotalMinutes:0}m"
        : t.TotalSeconds >= 1 ? $"{t.TotalSeconds:0.###}s"
        : $"{t.TotalMilliseconds:0}ms";
}
