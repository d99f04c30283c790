using Flowmesh.IntegrationTests.Cli;
using Flowmesh.IntegrationTests.Comparison;

namespace Flowmesh.IntegrationTests;

public sealed class FlowRecordLinesTests
{
    [Fact]
    public void Records_of_one_flow_add_up_per_direction_and_empty_directions_vanish()
    {
        const string lines = """
            {"proto":6,"src_addr":"10.0.0.1","src_port":40000,"dst_addr":"10.0.0.2","dst_port":80,"packets":3,"bytes":180,"rev_packets":2,"rev_bytes":120,"start":"2023-11-14T22:13:20.000010Z","end":"2023-11-14T22:13:21.000000Z","tcp_flags":18,"community_id":"1:x"}
            {"proto":6,"src_addr":"10.0.0.1","src_port":40000,"dst_addr":"10.0.0.2","dst_port":80,"packets":1,"bytes":40,"rev_packets":0,"rev_bytes":0,"start":"2023-11-14T22:13:25.000000Z","end":"2023-11-14T22:13:26.500000Z","tcp_flags":1,"community_id":"1:x"}
            {"proto":17,"src_addr":"fd00:0:0::1","src_port":5,"dst_addr":"fd00::2","dst_port":6,"packets":1,"bytes":50,"rev_packets":0,"rev_bytes":0,"start":"1970-01-01T00:00:00.000001Z","end":"1970-01-01T00:00:00.000001Z","tcp_flags":0,"community_id":"1:x"}

            """;

        var (map, times) = FlowRecordLines.Read(lines);

        Assert.Equal(3, map.Count);
        Assert.Equal(new DirectedTotals(4, 220), map[DirectedFlowKey.Create(6, "10.0.0.1", 40000, "10.0.0.2", 80)]);
        Assert.Equal(new DirectedTotals(2, 120), map[DirectedFlowKey.Create(6, "10.0.0.2", 80, "10.0.0.1", 40000)]);
        Assert.Equal(new DirectedTotals(1, 50), map[DirectedFlowKey.Create(17, "fd00::1", 5, "fd00::2", 6)]);
        // The split TCP flow spans from the first record's start to the second record's end, whichever way it is keyed.
        Assert.Equal(2, times.Spans.Count);
        var expectedTimes = new FlowTimeSpans();
        expectedTimes.Add(DirectedFlowKey.Create(6, "10.0.0.2", 80, "10.0.0.1", 40000), 1_700_000_000_000_010, 1_700_000_006_500_000);
        expectedTimes.Add(DirectedFlowKey.Create(17, "fd00::2", 6, "fd00::1", 5), 1, 1);
        Assert.Empty(FlowTimeSpans.Mismatches(expectedTimes, times));
    }

    [Fact]
    public void A_line_that_is_not_a_record_is_an_error_naming_the_line()
    {
        var error = Assert.Throws<FormatException>(() => FlowRecordLines.Sum("{\"proto\":6}\n"));
        Assert.Contains("line 1", error.Message);
    }

    [Fact]
    public void Difference_names_the_first_mismatching_flows_with_both_totals()
    {
        var expected = new DirectedFlowMap();
        var actual = new DirectedFlowMap();
        var key = DirectedFlowKey.Create(17, "10.0.0.1", 1, "10.0.0.2", 2);
        expected.AddFrame(key, 100, frameNumber: 7);
        expected.AddFrame(key, 100, frameNumber: 9);
        actual.Add(key, 1, 100);
        actual.Add(key.Reversed, 1, 60);

        var difference = FlowMapDifference.Compute(expected, actual);
        string text = difference.Describe("tshark", "flowmesh");

        Assert.Equal(2, difference.Mismatches.Count);
        Assert.Contains("proto 17 10.0.0.1:1 -> 10.0.0.2:2 (first frame 7): tshark 2 pkts / 200 B, flowmesh 1 pkts / 100 B", text);
        Assert.Contains("1 only in flowmesh", text);
    }
}
