using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace Flowmesh.Agent.Api;

/// <summary>
/// The query of GET /api/v1/records: origin (optional), from/to (Unix seconds or ISO 8601; default: everything),
/// limit (1..10000, default 1000). Every refusal says which parameter and what is accepted.
/// </summary>
internal sealed record RecordsQuery(string? Origin, long FromMicros, long ToMicros, int Limit)
{
    public const int DefaultLimit = 1000;
    public const int MaxLimit = 10_000;

    public static readonly IReadOnlyCollection<string> Parameters = ["origin", "from", "to", "limit"];

    public static RecordsQuery? Parse(IQueryCollection query, out string? error)
    {
        error = null;
        string? origin = query.TryGetValue("origin", out var o) ? o.ToString() : null;
        if (origin is not null && (origin.Length == 0 || System.Text.Encoding.UTF8.GetByteCount(origin) > Gossip.NodeId.MaxLength))
        {
            error = "origin must be a node name of 1..64 bytes";
            return null;
        }
        long from = long.MinValue, to = long.MaxValue;
        if (query.TryGetValue("from", out var f) && !TryParseTime(f.ToString(), out from))
        {
            error = $"from '{AgentApi.Printable(f.ToString())}' is not a time: give Unix seconds (1732412345.5) or ISO 8601 (2026-11-24T01:00:00Z)";
            return null;
        }
        if (query.TryGetValue("to", out var t) && !TryParseTime(t.ToString(), out to))
        {
            error = $"to '{AgentApi.Printable(t.ToString())}' is not a time: give Unix seconds (1732412345.5) or ISO 8601 (2026-11-24T01:00:00Z)";
            return null;
        }
        if (from >= to)
        {
            error = "from must be earlier than to";
            return null;
        }
        int limit = DefaultLimit;
        if (query.TryGetValue("limit", out var l)
            && (!int.TryParse(l.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxLimit))
        {
            error = $"limit must be a whole number from 1 to {MaxLimit}";
            return null;
        }
        return new RecordsQuery(origin, from, to, limit);
    }

    private static bool TryParseTime(string text, out long micros)
    {
        micros = 0;
        if (double.TryParse(text, NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out double seconds))
        {
            // Years 1970..9999 only: anything else is a mistake, and it keeps the multiplication exact enough and finite.
            if (!double.IsFinite(seconds) || seconds < 0 || seconds > 253_402_300_799) return false;
            micros = (long)Math.Round(seconds * 1e6);
            return true;
        }
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time)
            && time >= DateTimeOffset.UnixEpoch)
        {
            micros = Core.UnixMicros.FromInstant(time);
            return true;
        }
        return false;
    }
}
