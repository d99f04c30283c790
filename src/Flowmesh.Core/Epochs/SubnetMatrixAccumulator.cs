using Flowmesh.Core.Packets;

namespace Flowmesh.Core.Epochs;

/// <summary>
/// Exact per-cell traffic while an epoch is open, capped at a number of cells so memory stays bounded whatever
/// the traffic: a cell first seen after the cap is full goes to the overflow, and the cells that made it in stay
/// exact (they never lose traffic), which is what lets a sealed record call its cells exact.
/// </summary>
internal sealed class SubnetMatrixAccumulator
{
    private readonly Dictionary<(AddressPrefix Source, AddressPrefix Destination), (ulong Bytes, ulong Packets)> _cells = [];
    private readonly int _maxCells;
    private ulong _overflowBytes;
    private ulong _overflowPackets;

    public SubnetMatrixAccumulator(int maxCells) => _maxCells = maxCells;

    public void Add(IpAddress128 sender, IpAddress128 receiver, ulong bytes, ulong packets)
    {
        var key = (AddressPrefix.MatrixSubnet(sender), AddressPrefix.MatrixSubnet(receiver));
        if (_cells.TryGetValue(key, out var cell))
            _cells[key] = (cell.Bytes + bytes, cell.Packets + packets);
        else if (_cells.Count < _maxCells)
            _cells[key] = (bytes, packets);
        else
        {
            _overflowBytes += bytes;
            _overflowPackets += packets;
        }
    }

    public SubnetMatrix Seal(int capacity) => SubnetMatrix.FromExact(capacity, _cells, _overflowBytes, _overflowPackets);
}
