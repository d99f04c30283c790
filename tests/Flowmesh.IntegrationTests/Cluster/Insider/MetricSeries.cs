using System.Globalization;

namespace Flowmesh.IntegrationTests.Cluster.Insider;

/// <summary>
/// Reads one counter out of an agent's /metrics text (Prometheus exposition): the sum of every series of that name whose
/// labels include the given ones. Null when the agent exposes no such series at all, so a caller can tell "0 refusals"
/// from "this build does not count them".
/// </summary>
internal static class MetricSeries
{
    public static long? Sum(string exposition, string name, params (string Label, string Value)[] labels)
    {
        long? sum = null;
        foreach (var raw in exposition.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#' || !line.StartsWith(name, StringComparison.Ordinal)) continue;
            var rest = line[name.Length..];
            if (rest.Length == 0 || (rest[0] != '{' && rest[0] != ' ')) continue; // another metric with this prefix
            var labelText = rest[0] == '{' ? rest[1..rest.IndexOf('}', StringComparison.Ordinal)] : "";
            if (!labels.All(l => labelText.Split(',').Contains($"{l.Label}=\"{l.Value}\"", StringComparer.Ordinal))) continue;
            var value = (rest[0] == '{' ? rest[(rest.IndexOf('}', StringComparison.Ordinal) + 1)..] : rest).Trim().Split(' ')[0];
            sum = (sum ?? 0) + (long)double.Parse(value, NumberStyles.Float, CultureInfo.InvariantCulture);
        }
        return sum;
    }
}
