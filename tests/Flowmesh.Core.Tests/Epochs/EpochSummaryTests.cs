using Flowmesh.Core.Epochs;
using Flowmesh.Core.Views;
using Flowmesh.Core.Flows;
using Flowmesh.Core.Packets;
using static Flowmesh.Core.Tests.Epochs.EpochTestTraffic;

namespace Flowmesh.Core.Tests.Epochs;

public sealed class EpochSummaryTests
{
    private static readonly IpAddress128 A = IpAddress128.Parse("192.0.2.1"), B = IpAddress128.Parse("198.51.100.2");

    private static FlowTableDelta Delta(long packets, long bytes, long reversePackets, long reverseBytes, bool starts = true) =>
        new(IpProtocol.Tcp, A, 40000, B, 443, packets, bytes, reversePackets, reverseBytes, starts, Start, Start);

    [Fact]
    public void EachDirectionIsCountedByItsSender()
    {
        var summary = new EpochSummary(new EpochId("n", Start, 10 * Second), Key);
        summary.Add(Delta(3, 300, 2, 5000));
        summary.Add(Delta(1, 100, 0, 0, starts: false));
        var record = summary.Seal();
        Assert.Equal(new TrafficCounters(5400, 6, 1), record.Totals.All);
        Assert.Equal(record.Totals.All, record.Totals[ProtocolClass.Tcp]);
        var view = Merge([record]);
        var talkers = view.Top(TopKind.Talkers, TrafficMeasure.Bytes, 10).Items;
        Assert.Equal([(B, 5000.0), (A, 400.0)], talkers.Select(t => (t.Key.Source, t.Weight.Lower)));
        var flows = Assert.Single(view.Top(TopKind.Flows, TrafficMeasure.Packets, 10).Items);
        Assert.Equal((A, (ushort)40000, B, (ushort)443, 6.0), (flows.Key.Source, flows.Key.SourcePort, flows.Key.Destination, flows.Key.DestinationPort, flows.Weight.Upper));
        Assert.Equal((2.0, 1.0), (view.Distinct(DistinctKind.Sources).Count.Value, view.Distinct(DistinctKind.Sources).Count.ErrorBound));
        Assert.Equal(1, view.Distinct(DistinctKind.Ports).Count.Value);
        var cell = Assert.Single(view.Matrix(limit: 10).Cells, c => c.Source.Contains(A));
        Assert.Equal((400.0, 400.0, 4.0), (cell.Bytes.Lower, cell.Bytes.Upper, cell.Packets.Lower));
    }

    [Fact]
    public void InvalidDeltasAndUseAfterSealAreRefused()
    {
        var summary = new EpochSummary(new EpochId("n", Start, 10 * Second), Key);
        Assert.Throws<ArgumentException>(() => summary.Add(Delta(-1, 0, 0, 0)));
        Assert.Throws<ArgumentException>(() => summary.Add(Delta(0, 100, 1, 40)));
        summary.Seal();
        Assert.Throws<InvalidOperationException>(() => summary.Add(Delta(1, 40, 0, 0)));
        Assert.Throws<InvalidOperationException>(() => summary.Seal());
        Assert.Throws<ArgumentException>(() => new EpochSummary(new EpochId("", Start, 10 * Second), Key));
        Assert.Throws<ArgumentException>(() => new EpochSummary(new EpochId("n", Start, 0), Key));
    }

    [Fact]
    public void FlowsOwnedByAnotherAgentAreOnlyCountedAsForeign()
    {
        var ownership = new FlowOwnership(a => a == B, a => a == A || a == B); // A (lower) owns A<->B flows
        var summary = new EpochSummary(new EpochId("b", Start, 10 * Second), Key, ownership: ownership);
        summary.Add(Delta(3, 300, 2, 5000));
        var record = summary.Seal();
        Assert.Equal(default, record.Totals.All);
        Assert.Equal(5UL, record.Health.ForeignPackets);
    }
}
