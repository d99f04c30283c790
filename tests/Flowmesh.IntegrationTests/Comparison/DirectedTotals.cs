namespace Flowmesh.IntegrationTests.Comparison;

/// <summary>Packets and bytes that travelled in one direction of one flow.</summary>
public readonly record struct DirectedTotals(long Packets, long Bytes)
{
    public DirectedTotals Add(long packets, long bytes) => new(Packets + packets, Bytes + bytes);

    public override string ToString() => $"{Packets} pkts / {Bytes} B";
}
