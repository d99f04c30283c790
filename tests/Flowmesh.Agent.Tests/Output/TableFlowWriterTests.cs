using Flowmesh.Agent.Output;
using Flowmesh.Core.Packets;

namespace Flowmesh.Agent.Tests.Output;

public sealed class TableFlowWriterTests
{
    [Fact]
    public void ColumnsAlignAcrossRowsOfDifferentWidths()
    {
        var text = new StringWriter();
        var writer = new TableFlowWriter(text);
        writer.Write(FlowRecordSamples.Tcp(bytes: 5));
        var wide = FlowRecordSamples.Tcp(bytes: 9_876_543_210);
        writer.Write(new Core.Flows.FlowRecord
        {
            Protocol = IpProtocol.Udp, SourceAddress = IpAddress128.Parse("2001:db8::1234"), SourcePort = 5353,
            DestinationAddress = IpAddress128.Parse("ff02::fb"), DestinationPort = 5353, Packets = 1, Bytes = wide.Bytes,
            StartMicros = wide.StartMicros, EndMicros = wide.StartMicros,
        });
        writer.Complete();

        var lines = text.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.Contains("[2001:db8::1234]:5353", lines[2]);
        Assert.Contains("9.88 GB", lines[2]);
        // The destination column starts at the same offset on every line.
        int column = lines[0].IndexOf("Destination", StringComparison.Ordinal);
        Assert.Equal(column, lines[1].IndexOf("10.0.0.2:80", StringComparison.Ordinal));
        Assert.Equal(column, lines[2].IndexOf("[ff02::fb]:5353", StringComparison.Ordinal));
    }
}
