using Flowmesh.Agent.Metrics;

namespace Flowmesh.Agent.Tests.Metrics;

public sealed class PrometheusTextWriterTests
{
    [Fact]
    public void Writes_help_type_and_labelled_samples_in_the_text_format()
    {
        var writer = new PrometheusTextWriter();
        writer.Family("flowmesh_gossip_members", MetricType.Gauge, "Members by state.");
        writer.Sample("flowmesh_gossip_members", 4, ("state", "alive"));
        writer.Sample("flowmesh_gossip_members", 0, ("state", "dead"));
        writer.Single("flowmesh_capture_packets_total", MetricType.Counter, "Packets seen.", 12345678901);
        Assert.Equal(
            "# HELP flowmesh_gossip_members Members by state.\n# TYPE flowmesh_gossip_members gauge\n" +
            "flowmesh_gossip_members{state=\"alive\"} 4\nflowmesh_gossip_members{state=\"dead\"} 0\n" +
            "# HELP flowmesh_capture_packets_total Packets seen.\n# TYPE flowmesh_capture_packets_total counter\n" +
            "flowmesh_capture_packets_total 12345678901\n",
            writer.ToString());
    }

    [Fact]
    public void Hostile_label_values_cannot_break_the_line_or_inject_samples()
    {
        var writer = new PrometheusTextWriter();
        writer.Family("m", MetricType.Gauge, "help with \\ and\nnewline");
        writer.Sample("m", 1, ("node", "evil\"} 1\nflowmesh_fake 99\n\\"));
        string text = writer.ToString();
        Assert.Equal(3, text.Count(c => c == '\n'));
        Assert.Contains("m{node=\"evil\\\"} 1\\nflowmesh_fake 99\\n\\\\\"} 1\n", text);
        Assert.Contains("# HELP m help with \\\\ and\\nnewline\n", text);
    }

    [Fact]
    public void Special_values_use_the_format_spellings()
    {
        var writer = new PrometheusTextWriter();
        writer.Family("g", MetricType.Gauge, "g");
        writer.Sample("g", double.NaN);
        writer.Sample("g", double.PositiveInfinity);
        writer.Sample("g", 0.25);
        Assert.EndsWith("g NaN\ng +Inf\ng 0.25\n", writer.ToString());
    }

    [Theory]
    [InlineData("1abc")]
    [InlineData("has space")]
    [InlineData("")]
    [InlineData("dash-ed")]
    public void Invalid_names_are_refused(string name)
    {
        var writer = new PrometheusTextWriter();
        Assert.Throws<ArgumentException>(() => writer.Family(name, MetricType.Gauge, "x"));
    }

    [Fact]
    public void A_family_cannot_be_written_twice()
    {
        var writer = new PrometheusTextWriter();
        writer.Family("a", MetricType.Counter, "a");
        Assert.Throws<InvalidOperationException>(() => writer.Family("a", MetricType.Counter, "a"));
    }
}
