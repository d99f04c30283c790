using System.Globalization;
using System.Text.Json;
using Flowmesh.IntegrationTests.Comparison;

namespace Flowmesh.IntegrationTests.Cli;

/// <summary>
/// Reads `flowmesh flows --format json` (one object per line) into totals per directed 5-tuple:
/// src->dst gets packets/bytes, dst->src gets rev_packets/rev_bytes. Records of one flow split by
/// timeouts add up.
/// </summary>
public static class FlowRecordLines
{
    public static DirectedFlowMap Sum(string jsonLines) => Read(jsonLines).Flows;

    /// <summary>Totals per direction, and each flow's first and last packet time from the records' start and end.</summary>
    public static (DirectedFlowMap Flows, FlowTimeSpans Times) Read(string jsonLines)
    {
        var map = new DirectedFlowMap();
        var times = new FlowTimeSpans();
        int lineNumber = 0;
        foreach (string line in jsonLines.Split('\n'))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            try
            {
                using var document = JsonDocument.Parse(line);
                var record = document.RootElement;
                var key = DirectedFlowKey.Create(
                    record.GetProperty("proto").GetByte(),
                    record.GetProperty("src_addr").GetString()!,
                    record.GetProperty("src_port").GetUInt16(),
                    record.GetProperty("dst_addr").GetString()!,
                    record.GetProperty("dst_port").GetUInt16());
                map.Add(key, record.GetProperty("packets").GetInt64(), record.GetProperty("bytes").GetInt64());
                map.Add(key.Reversed, record.GetProperty("rev_packets").GetInt64(), record.GetProperty("rev_bytes").GetInt64());
                times.Add(key, Rfc3339Micros(record.GetProperty("start").GetString()!), Rfc3339Micros(record.GetProperty("end").GetString()!));
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                throw new FormatException($"flowmesh output line {lineNumber} is not a flow record ({e.Message}): {line}", e);
            }
        }
        return (map, times);
    }

    private static long Rfc3339Micros(string text)
    {
        var time = DateTimeOffset.ParseExact(text, "yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
        return (time.UtcTicks - DateTime.UnixEpoch.Ticks) / 10;
    }
}
