namespace Flowmesh.Capture.HostContext;

/// <summary>
/// A host-context source's counters, for /metrics (<c>flowmesh_host_context_events_total{event="SOURCE.NAME"}</c>,
/// docs/metrics.md). Read on the metrics thread while the capture thread counts: a value may be a moment old, never torn.
/// </summary>
public interface IHostContextCounters
{
    /// <summary>Adds this source's counters, named <c>source.what</c> (<c>process.attributed</c>), to <paramref name="counters"/>.</summary>
    void AddTo(IDictionary<string, long> counters);
}
