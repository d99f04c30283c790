using Flowmesh.Agent.Cli;
using Flowmesh.Agent.Output;
using Flowmesh.Agent.Tests.Output;
using Flowmesh.Core.Flows;

namespace Flowmesh.Agent.Tests.Cli;

public sealed class FlowRecordSelectionTests
{
    private sealed class Collecting : IFlowRecordWriter
    {
        public List<FlowRecord> Written { get; } = [];
        public void Write(FlowRecord record) => Written.Add(record);
        public void Complete() { }
        public void Dispose() { }
    }

    private static List<FlowRecord> Records() =>
        Enumerable.Range(0, 100).Select(i => FlowRecordSamples.Tcp(bytes: (i * 37) % 101, startMicros: 1_000_000L * ((i * 53) % 100))).ToList();

    [Fact]
    public void TopBytesWithLimitEqualsFullSortThenTake()
    {
        var sink = new Collecting();
        var selection = new FlowRecordSelection(sink, FlowSortOrder.Bytes, limit: 7);
        var records = Records();
        records.ForEach(selection.Add);
        selection.Complete();

        var expected = records.OrderByDescending(r => r.Bytes + r.ReverseBytes).Take(7).Select(r => r.Bytes + r.ReverseBytes);
        Assert.Equal(expected, sink.Written.Select(r => r.Bytes + r.ReverseBytes));
        Assert.Equal(100, selection.Seen);
    }

    [Fact]
    public void StartOrderIsAscending()
    {
        var sink = new Collecting();
        var selection = new FlowRecordSelection(sink, FlowSortOrder.Start, limit: null);
        Records().ForEach(selection.Add);
        selection.Complete();
        Assert.Equal(100, sink.Written.Count);
        Assert.Equal(sink.Written.Select(r => r.StartMicros).Order(), sink.Written.Select(r => r.StartMicros));
    }

    [Fact]
    public void UnsortedStreamsAndStopsAtTheLimit()
    {
        var sink = new Collecting();
        var selection = new FlowRecordSelection(sink, FlowSortOrder.None, limit: 3);
        var records = Records();
        records.ForEach(selection.Add);
        Assert.Equal(records.Take(3), sink.Written); // written before Complete: streamed
        selection.Complete();
        Assert.Equal(3, sink.Written.Count);
    }
}
