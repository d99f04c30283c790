namespace Flowmesh.Agent.Metrics;

/// <summary>
/// Label values of the agent's metrics that come from enums: snake_case, the same on /metrics and over OTLP. Every
/// known value is always exported (0 included) so rate() has a series before the first event.
/// </summary>
public static class MetricLabels
{
    /// <summary>The envelope's drop reasons: the label values of flowmesh_gossip_dropped_packets_total.</summary>
    public static readonly string[] GossipDropReasons = [.. Enum.GetNames<Gossip.Security.GossipDropReason>().Select(SnakeCase)];

    /// <summary>Why a gossip TCP connection got no reply: the label values of flowmesh_gossip_stream_refused_total.</summary>
    public static readonly string[] StreamRefusalReasons = [.. Enum.GetNames<Gossip.Transport.StreamRefusal>().Select(SnakeCase)];

    public static string SnakeCase(string name) =>
        string.Concat(name.Select((c, i) => char.IsUpper(c) ? (i > 0 ? "_" : "") + char.ToLowerInvariant(c) : c.ToString()));
}
