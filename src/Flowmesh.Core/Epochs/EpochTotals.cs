namespace Flowmesh.Core.Epochs;

/// <summary>Exact totals of an epoch (or of merged epochs): all traffic and its split by protocol class.</summary>
public sealed class EpochTotals
{
    private readonly TrafficCounters[] _byProtocol;

    internal EpochTotals(TrafficCounters[] byProtocol)
    {
        _byProtocol = (TrafficCounters[])byProtocol.Clone();
        var all = default(TrafficCounters);
        foreach (var c in _byProtocol) all += c;
        All = all;
    }

    public TrafficCounters All { get; }

    public TrafficCounters this[ProtocolClass protocol] => _byProtocol[(int)protocol];
}
