using System.Globalization;
using System.Text.Json;

namespace Flowmesh.IntegrationTests.Cluster;

/// <summary>The identity of an epoch record: single writer (origin) and its epoch. Content hash rides along.</summary>
internal readonly record struct RecordKey(string Origin, long StartMicros, long LengthMicros)
{
    public override string ToString() => $"{Origin}@{StartMicros.ToString(CultureInfo.InvariantCulture)}+{LengthMicros.ToString(CultureInfo.InvariantCulture)}";
}

/// <summary>
/// GET /api/v1/records, parsed into record id -> content hash. Accepts a bare array or an object with a "records"
/// array, and camelCase or snake_case names (startMicros/start_micros/start, lengthMicros/length_micros/length,
/// contentHash/content_hash/hash), so the tests pin the meaning (origin, epoch, content), not the spelling.
/// </summary>
internal static class RecordListing
{
    public static IReadOnlyDictionary<RecordKey, string> Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        JsonElement root = document.RootElement;
        JsonElement rows = root.ValueKind == JsonValueKind.Array ? root : root.GetProperty("records");
        if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("truncated", out JsonElement truncated) && truncated.ValueKind == JsonValueKind.True)
            throw new FormatException("the record listing is truncated (more records than the limit asked for)");
        var records = new Dictionary<RecordKey, string>();
        foreach (JsonElement row in rows.EnumerateArray())
        {
            var key = new RecordKey(
                Text(row, "origin") ?? throw new FormatException($"record without origin: {row}"),
                Number(row, "startMicros", "start_micros", "start") ?? throw new FormatException($"record without start: {row}"),
                Number(row, "lengthMicros", "length_micros", "length") ?? throw new FormatException($"record without length: {row}"));
            string hash = Text(row, "contentHash", "content_hash", "hash") ?? "";
            if (!records.TryAdd(key, hash)) throw new FormatException($"record {key} listed twice");
        }
        return records;
    }

    private static string? Text(JsonElement row, params string[] names)
    {
        foreach (string name in names)
        {
            if (row.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String) return value.GetString();
        }
        return null;
    }

    private static long? Number(JsonElement row, params string[] names)
    {
        foreach (string name in names)
        {
            if (!row.TryGetProperty(name, out JsonElement value)) continue;
            if (value.ValueKind == JsonValueKind.Number) return value.GetInt64();
            if (value.ValueKind == JsonValueKind.String && long.TryParse(value.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out long parsed)) return parsed;
        }
        return null;
    }
}
