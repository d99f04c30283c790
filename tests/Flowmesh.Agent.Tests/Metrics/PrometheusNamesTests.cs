using System.Diagnostics.Metrics;
using System.Text.RegularExpressions;
using Flowmesh.Agent.Metrics;

namespace Flowmesh.Agent.Tests.Metrics;

/// <summary>
/// The instrument names (OpenTelemetry's, over OTLP) and the Prometheus names (/metrics, the dashboard) are tied by
/// one rule set; the names are a contract, so every instrument's Prometheus name must be one docs/metrics.md lists.
/// </summary>
public sealed partial class PrometheusNamesTests
{
    [Theory]
    [InlineData("flowmesh.gossip.sent", "By", true, "flowmesh_gossip_sent_bytes_total")]
    [InlineData("flowmesh.capture.packets", "{packet}", true, "flowmesh_capture_packets_total")]
    [InlineData("flowmesh.records.stored_bytes", "By", false, "flowmesh_records_stored_bytes")]
    [InlineData("flowmesh.cluster.traffic", "By/s", false, "flowmesh_cluster_traffic_bytes_per_second")]
    [InlineData("flowmesh.coverage.ratio", "1", false, "flowmesh_coverage_ratio")]
    [InlineData("flowmesh.record.lag", "s", false, "flowmesh_record_lag_seconds")]
    [InlineData("flowmesh.gossip.name_conflicts_total", "{conflict}", true, "flowmesh_gossip_name_conflicts_total")]
    [InlineData("process.cpu", "s", true, "process_cpu_seconds_total")]
    [InlineData("http.server-duration", "ms", false, "http_server_duration_milliseconds")]
    [InlineData("9lives", null, false, "_9lives")]
    public void Names_follow_the_opentelemetry_prometheus_rules(string name, string? unit, bool counter, string expected) =>
        Assert.Equal(expected, PrometheusNames.Of(name, unit, counter));

    [Fact]
    public void Every_instrument_of_the_agent_has_a_distinct_documented_name()
    {
        using var meter = new AgentMeter();
        var names = new List<string>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) => { if (instrument.Meter == meter.Meter) names.Add(PrometheusNames.Of(instrument)); },
        };
        listener.Start();
        Assert.Equal(names.Count, names.Distinct(StringComparer.Ordinal).Count());

        string docs = File.ReadAllText(Path.Combine(RepositoryRoot.Path, "docs", "metrics.md"));
        var documented = docs.Split('\n').Where(line => line.StartsWith("| `", StringComparison.Ordinal))
            .SelectMany(line => DocumentedName().Matches(line.Split('|')[1]).Select(m => m.Groups[1].Value)).ToHashSet(StringComparer.Ordinal);
        Assert.All(names, name => Assert.Contains(name, documented));
        // And the other way: a documented name the agent no longer exports is a rename the dashboard would miss.
        Assert.All(documented, name => Assert.Contains(name, names));
    }

    /// <summary>A name in backquotes: the first column of a table row of docs/metrics.md holds one or several.</summary>
    [GeneratedRegex(@"`([a-z_]+)`")]
    private static partial Regex DocumentedName();
}
