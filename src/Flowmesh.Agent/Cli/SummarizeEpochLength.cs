using System.Globalization;

namespace Flowmesh.Agent.Cli;

/// <summary>Parses --epoch values: "10s", "1m", "1h", "500ms", or a bare number of seconds.</summary>
internal static class SummarizeEpochLength
{
    public static TimeSpan? Parse(string text, out string? error)
    {
        error = null;
        string t = text.Trim().ToLowerInvariant();
        (string number, double scale) = t.EndsWith("ms", StringComparison.Ordinal) ? (t[..^2], 0.001)
            : t.EndsWith('s') ? (t[..^1], 1)
            : t.EndsWith('m') ? (t[..^1], 60)
            : t.EndsWith('h') ? (t[..^1], 3600)
            : (t, 1);
        if (!double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double value) || value <= 0 || double.IsInfinity(value))
        {
            error = $"--epoch '{text}' is not a positive duration such as 10s, 1m or 1h.";
            return null;
        }
        double seconds = value * scale;
        if (seconds < 0.001 || seconds > 366 * 86400)
        {
            error = $"--epoch '{text}' must be between 1 ms and one year.";
            return null;
        }
        return TimeSpan.FromMicroseconds(Math.Round(seconds * 1e6));
    }
}
