namespace Flowmesh.IntegrationTests.Comparison;

/// <summary>
/// Totals per directed 5-tuple. Both sides of a comparison are reduced to this shape: tshark per
/// frame, flowmesh per record (a flow split by timeouts simply adds up again).
/// </summary>
public sealed class DirectedFlowMap
{
    private readonly Dictionary<DirectedFlowKey, DirectedTotals> _totals = new();
    private readonly Dictionary<DirectedFlowKey, long> _firstFrame = new();

    public IReadOnlyDictionary<DirectedFlowKey, DirectedTotals> Totals => _totals;
    public int Count => _totals.Count;
    public long Packets => _totals.Values.Sum(t => t.Packets);
    public long Bytes => _totals.Values.Sum(t => t.Bytes);

    /// <summary>Adds to one direction. Zero packets add nothing, so a one-way flow has no empty reverse entry.</summary>
    public void Add(DirectedFlowKey key, long packets, long bytes)
    {
        if (packets == 0 && bytes == 0) return;
        _totals[key] = _totals.TryGetValue(key, out var sum) ? sum.Add(packets, bytes) : new DirectedTotals(packets, bytes);
    }

    /// <summary>Adds one frame and remembers the first frame number of each key, so a mismatch points at a packet.</summary>
    public void AddFrame(DirectedFlowKey key, long bytes, long frameNumber)
    {
        Add(key, 1, bytes);
        _firstFrame.TryAdd(key, frameNumber);
    }

    public long? FirstFrame(DirectedFlowKey key) => _firstFrame.TryGetValue(key, out long frame) ? frame : null;

    public DirectedTotals this[DirectedFlowKey key] => _totals.TryGetValue(key, out var t) ? t : default;

    public bool ContainsKey(DirectedFlowKey key) => _totals.ContainsKey(key);
}
