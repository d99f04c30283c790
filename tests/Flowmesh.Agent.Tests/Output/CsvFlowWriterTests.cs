using Flowmesh.Agent.Output;

namespace Flowmesh.Agent.Tests.Output;

public sealed class CsvFlowWriterTests
{
    [Fact]
    public void HeaderAndRowsCarryTheSameFieldsAsJson()
    {
        var text = new StringWriter();
        var writer = new CsvFlowWriter(text);
        writer.Write(FlowRecordSamples.Tcp());
        writer.Complete();

        var lines = text.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Equal(string.Join(',', FlowFields.Names), lines[0]);
        var cells = lines[1].Split(',');
        Assert.Equal(FlowFields.Names.Length, cells.Length);
        Assert.Equal(["6", "10.0.0.1", "40000", "10.0.0.2", "80", "3", "1500", "2", "120", "7", "2"], cells[..11]);
        Assert.Equal("end", cells[Array.IndexOf(FlowFields.Names, "end_reason")]);
    }
}
