namespace Flowmesh.Agent.Api;

/// <summary>
/// What the local API shows, read from the running agent. Every call returns a fresh snapshot and is safe from any
/// thread; the API owns no state of its own, so tests run it against a fake and the agent against its live parts.
/// </summary>
internal interface IAgentReadModel
{
    MembersResponse Members();

    StatusResponse Status();

    /// <summary>The agent's health for /metrics (docs/metrics.md).</summary>
    Metrics.AgentMetricsSnapshot Metrics();

    /// <summary>Record ids of one origin (or every origin when null) starting in [from, to), newest first, at most <paramref name="limit"/>.</summary>
    RecordsResponse Records(string? origin, long fromMicros, long toMicros, int limit);
}
