using System.Text;

namespace Flowmesh.IntegrationTests.Comparison;

/// <summary>
/// First and last packet time (microseconds since the epoch) per flow, both directions together.
/// tshark adds frames, flowmesh adds records (start, end); a flow split into several records spans
/// from its earliest start to its latest end, exactly like its frames.
/// </summary>
public sealed class FlowTimeSpans
{
    private readonly Dictionary<DirectedFlowKey, (long First, long Last)> _spans = new();

    private static readonly long s_minMicros = (DateTime.MinValue.Ticks - DateTime.UnixEpoch.Ticks) / 10;
    private static readonly long s_maxMicros = (DateTime.MaxValue.Ticks - DateTime.UnixEpoch.Ticks) / 10;

    public IReadOnlyDictionary<DirectedFlowKey, (long First, long Last)> Spans => _spans;

    /// <summary>
    /// The record contract writes times in RFC 3339, whose years run 0001..9999; a packet time
    /// outside (a broken capture clock) is written at the nearest end of that range.
    /// </summary>
    public static long ClampToRfc3339(long micros) => Math.Clamp(micros, s_minMicros, s_maxMicros);

    public void Add(DirectedFlowKey key, long firstMicros, long lastMicros)
    {
        var flow = Undirected(key);
        _spans[flow] = _spans.TryGetValue(flow, out var span)
            ? (Math.Min(span.First, firstMicros), Math.Max(span.Last, lastMicros))
            : (firstMicros, lastMicros);
    }

    /// <summary>Keys whose spans differ, or that only one side has, in a stable order.</summary>
    public static List<DirectedFlowKey> Mismatches(FlowTimeSpans expected, FlowTimeSpans actual)
    {
        var keys = new HashSet<DirectedFlowKey>(expected._spans.Keys);
        keys.UnionWith(actual._spans.Keys);
        return keys.Where(k => expected._spans.GetValueOrDefault(k) != actual._spans.GetValueOrDefault(k)).Order().ToList();
    }

    public static string Describe(FlowTimeSpans expected, FlowTimeSpans actual, string expectedName, string actualName, int maxLines = 15)
    {
        var mismatches = Mismatches(expected, actual);
        var text = new StringBuilder($"{mismatches.Count} flows differ in first/last packet time (microseconds since the epoch):\n");
        foreach (var key in mismatches.Take(maxLines))
            text.AppendLine($"  {key} (either direction): {expectedName} {Show(expected, key)}, {actualName} {Show(actual, key)}");
        if (mismatches.Count > maxLines) text.AppendLine($"  ... and {mismatches.Count - maxLines} more");
        return text.ToString();
    }

    private static string Show(FlowTimeSpans spans, DirectedFlowKey key) =>
        spans._spans.TryGetValue(key, out var span) ? $"{span.First}..{span.Last}" : "absent";

    private static DirectedFlowKey Undirected(DirectedFlowKey key) => key.CompareTo(key.Reversed) <= 0 ? key : key.Reversed;
}
