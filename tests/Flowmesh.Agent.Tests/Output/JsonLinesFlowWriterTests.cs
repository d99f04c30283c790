using System.Text.Json;
using Flowmesh.Agent.Output;

namespace Flowmesh.Agent.Tests.Output;

public sealed class JsonLinesFlowWriterTests
{
    [Fact]
    public void WritesOneObjectPerLineWithTheContractFields()
    {
        var stream = new MemoryStream();
        using (var writer = new JsonLinesFlowWriter(stream))
        {
            writer.Write(FlowRecordSamples.Tcp(bytes: 1500));
            writer.Write(FlowRecordSamples.Tcp(bytes: 42));
            writer.Complete();
        }
        var lines = System.Text.Encoding.UTF8.GetString(stream.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);

        using var doc = JsonDocument.Parse(lines[0]);
        var o = doc.RootElement;
        Assert.Equal(6, o.GetProperty("proto").GetInt32());
        Assert.Equal("10.0.0.1", o.GetProperty("src_addr").GetString());
        Assert.Equal(40000, o.GetProperty("src_port").GetInt32());
        Assert.Equal("10.0.0.2", o.GetProperty("dst_addr").GetString());
        Assert.Equal(80, o.GetProperty("dst_port").GetInt32());
        Assert.Equal(3, o.GetProperty("packets").GetInt64());
        Assert.Equal(1500, o.GetProperty("bytes").GetInt64());
        Assert.Equal(2, o.GetProperty("rev_packets").GetInt64());
        Assert.Equal(120, o.GetProperty("rev_bytes").GetInt64());
        Assert.Equal(7, o.GetProperty("segments").GetInt64());
        Assert.Equal(2, o.GetProperty("rev_segments").GetInt64());
        Assert.Equal("2023-11-14T22:13:20.123456Z", o.GetProperty("start").GetString());
        Assert.Equal("2023-11-14T22:13:22.623456Z", o.GetProperty("end").GetString());
        Assert.Equal(0x1B, o.GetProperty("tcp_flags").GetInt32());
        Assert.StartsWith("1:", o.GetProperty("community_id").GetString());
        Assert.Equal(FlowFields.Names, o.EnumerateObject().Select(p => p.Name));

        using var second = JsonDocument.Parse(lines[1]);
        Assert.Equal(42, second.RootElement.GetProperty("bytes").GetInt64());
    }
}
