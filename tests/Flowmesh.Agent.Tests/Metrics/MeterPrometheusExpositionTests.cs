using System.Diagnostics.Metrics;
using Flowmesh.Agent.Metrics;

namespace Flowmesh.Agent.Tests.Metrics;

/// <summary>/metrics as collected from a meter: the expected text is written out by hand from the values recorded.</summary>
public sealed class MeterPrometheusExpositionTests
{
    [Fact]
    public void Counters_gauges_and_histograms_are_written_in_the_text_format()
    {
        using var meter = new Meter("Test.Exposition");
        long packets = 12345678901;
        meter.CreateObservableCounter("test.packets", () => packets, "{packet}", "Packets.");
        meter.CreateObservableGauge("test.members", () => new[]
        {
            new Measurement<int>(4, new KeyValuePair<string, object?>("state", "alive")),
            new Measurement<int>(0, new KeyValuePair<string, object?>("state", "dead")),
        }, "{member}", "Members.");
        var seal = meter.CreateHistogram("test.seal.duration", "s", "Seal time.", tags: null,
            new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.01, 0.1, 1] });
        using var exposition = new MeterPrometheusExposition(meter);
        // 0.1 lies on a bound: Prometheus buckets are "less than or equal" (le).
        foreach (double value in new[] { 0.005, 0.1, 0.5, 3 }) seal.Record(value);

        Assert.Equal(
            "# HELP test_packets_total Packets.\n# TYPE test_packets_total counter\ntest_packets_total 12345678901\n" +
            "# HELP test_members Members.\n# TYPE test_members gauge\ntest_members{state=\"alive\"} 4\ntest_members{state=\"dead\"} 0\n" +
            "# HELP test_seal_duration_seconds Seal time.\n# TYPE test_seal_duration_seconds histogram\n" +
            "test_seal_duration_seconds_bucket{le=\"0.01\"} 1\ntest_seal_duration_seconds_bucket{le=\"0.1\"} 2\n" +
            "test_seal_duration_seconds_bucket{le=\"1\"} 3\ntest_seal_duration_seconds_bucket{le=\"+Inf\"} 4\n" +
            "test_seal_duration_seconds_sum 3.605\ntest_seal_duration_seconds_count 4\n",
            exposition.Scrape());
        packets++;
        Assert.Contains("test_packets_total 12345678902\n", exposition.Scrape());
    }

    [Fact]
    public void Only_the_bound_meter_instance_is_exported_even_under_the_same_name()
    {
        // Two agents (or an agent and a test) in one process each have a meter named Flowmesh.Agent.
        using var mine = new Meter(AgentMeter.MeterName);
        using var other = new Meter(AgentMeter.MeterName);
        mine.CreateObservableGauge("mine", () => 1);
        other.CreateObservableGauge("theirs", () => 2);
        other.CreateHistogram<double>("theirs.histogram").Record(1);
        using var exposition = new MeterPrometheusExposition(mine);
        string text = exposition.Scrape();
        Assert.Contains("mine 1\n", text);
        Assert.DoesNotContain("theirs", text);
    }

    [Fact]
    public void An_instrument_with_nothing_to_report_has_no_family_and_labels_are_escaped()
    {
        using var meter = new Meter("Test.Escaping");
        meter.CreateObservableGauge("test.absent", () => Array.Empty<Measurement<double>>(), "By/s", "Absent until a view exists.");
        meter.CreateObservableGauge("test.info", () => new Measurement<long>(1, new KeyValuePair<string, object?>("node", "evil\"} 1\nflowmesh_fake 99\n\\")));
        using var exposition = new MeterPrometheusExposition(meter);
        string text = exposition.Scrape();
        Assert.DoesNotContain("test_absent", text);
        Assert.Contains("test_info{node=\"evil\\\"} 1\\nflowmesh_fake 99\\n\\\\\"} 1\n", text);
        Assert.DoesNotContain("\nflowmesh_fake", text);
    }

    [Fact]
    public void A_scrape_asks_for_a_fresh_snapshot_first()
    {
        using var meter = new AgentMeter();
        long packets = 1;
        meter.ReadFrom(() => new AgentMetricsSnapshot { Node = "a", CapturePackets = packets });
        using var exposition = new MeterPrometheusExposition(meter.Meter, meter.BeginCollection);
        Assert.Contains("\nflowmesh_capture_packets_total 1\n", exposition.Scrape());
        packets = 2; // within the snapshot's reuse time: a scrape still sees it
        Assert.Contains("\nflowmesh_capture_packets_total 2\n", exposition.Scrape());
    }

    [Fact]
    public void Histogram_buckets_refuse_unordered_bounds_and_ignore_nan()
    {
        Assert.Throws<ArgumentException>(() => new HistogramBuckets([1, 1]));
        var buckets = new HistogramBuckets([1, 2]);
        buckets.Record(double.NaN);
        buckets.Record(2);
        buckets.Record(double.PositiveInfinity);
        var (cumulative, _, count) = buckets.Read();
        Assert.Equal([0L, 1, 2], cumulative);
        Assert.Equal(2, count);
    }
}
