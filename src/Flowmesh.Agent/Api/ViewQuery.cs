using System.Globalization;
using Flowmesh.Core.Views;
using Microsoft.AspNetCore.Http;

namespace Flowmesh.Agent.Api;

/// <summary>
/// The window of a view request: <c>window=5m</c> (a trailing length: s, m, h or d) or <c>from=&amp;to=</c> (ISO-8601
/// instants or Unix µs), never both; the default is the last 5 minutes. Every other parameter an endpoint takes is
/// parsed here too, each with a message that names the accepted forms.
/// </summary>
internal sealed record ViewQuery(TimeSpan? Length, ViewWindow? Explicit)
{
    public static readonly string[] WindowParameters = ["window", "from", "to"];
    public static readonly TimeSpan DefaultLength = TimeSpan.FromMinutes(5);

    public static ViewQuery? Parse(IQueryCollection query, out string? error)
    {
        error = null;
        string? window = query["window"], from = query["from"], to = query["to"];
        if (window is not null && (from is not null || to is not null))
        {
            error = "give either window= or from= and to=, not both";
            return null;
        }
        if (from is not null || to is not null)
        {
            if (from is null || to is null)
            {
                error = "from= and to= go together (ISO-8601 such as 2026-11-24T03:00:00Z, or Unix microseconds)";
                return null;
            }
            if (!TryInstant(from, out long f)) { error = $"from='{AgentApi.Printable(from)}' is not an ISO-8601 instant or Unix microseconds"; return null; }
            if (!TryInstant(to, out long t)) { error = $"to='{AgentApi.Printable(to)}' is not an ISO-8601 instant or Unix microseconds"; return null; }
            if (f >= t) { error = "from= must be before to="; return null; }
            if (t - f > Core.UnixMicros.FromDuration(MaxLength)) { error = $"the window is longer than {MaxLength.TotalHours:0} hours, the longest the API builds"; return null; }
            return new ViewQuery(null, ViewWindow.Between(f, t));
        }
        if (window is null) return new ViewQuery(DefaultLength, null);
        try
        {
            var length = ViewWindow.ParseLength(window);
            if (length > MaxLength) { error = $"window={AgentApi.Printable(window)} is longer than {MaxLength.TotalHours:0} hours, the longest the API builds"; return null; }
            return new ViewQuery(length, null);
        }
        catch (FormatException)
        {
            error = $"window='{AgentApi.Printable(window)}' is not a window length; use a positive number with s, m, h or d, e.g. 1m, 5m, 1h, 24h";
            return null;
        }
    }

    /// <summary>Longest window served: a build reads and merges every record in it (24 h of 40 origins at 10 s epochs is
    /// ~345k records, docs/global-view.md), and the drill-down's flow log keeps 24 h. Was 31 days (issue 15: no cost cap).</summary>
    public static readonly TimeSpan MaxLength = TimeSpan.FromHours(24);

    private static readonly DateTimeOffset Earliest = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Latest = new(2200, 1, 1, 0, 0, 0, TimeSpan.Zero);

    internal static bool TryInstant(string text, out long micros)
    {
        micros = 0;
        string t = text.Trim();
        if (t.Length > 0 && t.All(char.IsAsciiDigit))
        {
            if (!long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out micros)) return false;
            return micros >= Core.UnixMicros.FromInstant(Earliest) && micros < Core.UnixMicros.FromInstant(Latest);
        }
        if (!DateTimeOffset.TryParse(t, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AllowWhiteSpaces, out var instant)) return false;
        if (instant < Earliest || instant >= Latest) return false;
        micros = Core.UnixMicros.FromInstant(instant);
        return true;
    }

    /// <summary>limit= between 1 and <paramref name="max"/>, or the default when absent.</summary>
    public static int? Limit(IQueryCollection query, int fallback, int max, out string? error)
    {
        error = null;
        string? text = query["limit"];
        if (text is null) return fallback;
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int limit) && limit >= 1 && limit <= max) return limit;
        error = $"limit='{AgentApi.Printable(text)}' must be a whole number from 1 to {max}";
        return null;
    }
}
