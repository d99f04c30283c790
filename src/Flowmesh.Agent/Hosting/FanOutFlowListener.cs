using Flowmesh.Core.Epochs;
using Flowmesh.Core.Flows;

namespace Flowmesh.Agent.Hosting;

/// <summary>
/// Several consumers of the capture's flow deltas (the drill-down flow log, IPFIX export) behind the pipeline's one
/// listener. Each gets every call even when one before it throws; the first exception is rethrown afterwards, so
/// <see cref="GuardedFlowListener"/> still counts it.
/// </summary>
internal sealed class FanOutFlowListener(IReadOnlyList<IEpochFlowListener> listeners) : IEpochFlowListener
{
    /// <summary>The one listener, the fan-out of several, or null for none.</summary>
    public static IEpochFlowListener? Of(params IEpochFlowListener?[] candidates)
    {
        IEpochFlowListener[] present = [.. candidates.OfType<IEpochFlowListener>()];
        return present.Length switch { 0 => null, 1 => present[0], _ => new FanOutFlowListener(present) };
    }

    public void Add(FlowTableDelta delta)
    {
        Exception? first = null;
        foreach (IEpochFlowListener listener in listeners)
        {
            try { listener.Add(delta); }
            catch (Exception e) { first ??= e; }
        }
        if (first is not null) throw first;
    }

    public void Sealed(EpochId id)
    {
        Exception? first = null;
        foreach (IEpochFlowListener listener in listeners)
        {
            try { listener.Sealed(id); }
            catch (Exception e) { first ??= e; }
        }
        if (first is not null) throw first;
    }
}
