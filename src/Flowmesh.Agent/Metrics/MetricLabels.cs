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

    /// <summary>Why membership refused a claim, accusation or ack: the label values of flowmesh_gossip_membership_refused_total.</summary>
    public static readonly string[] MembershipRefusalReasons = [.. Enum.GetNames<Gossip.Membership.MembershipRefusal>().Select(SnakeCase)];

    /// <summary>Why a node credential was refused (None is no refusal): the <c>reason</c> values of flowmesh_credentials_refused_total.</summary>
    public static readonly string[] CredentialRefusalReasons =
        [.. Enum.GetValues<Gossip.Security.CredentialRefusal>().Where(r => r != Gossip.Security.CredentialRefusal.None).Select(r => SnakeCase(r.ToString()))];

    /// <summary>
    /// Where a credential was refused, the <c>stage</c> values of flowmesh_credentials_refused_total: on a sealed packet
    /// (UDP datagram or TCP frame: its sender's), in a membership claim (its subject's), on a record (its origin's).
    /// </summary>
    public static readonly string[] CredentialStages = ["packet", "membership", "record"];

    /// <summary>What became of revocation lists: the label values of flowmesh_revocation_lists_total.</summary>
    public static readonly string[] RevocationListOutcomes = ["received", "learned", "refused"];

    public static string SnakeCase(string name) =>
        string.Concat(name.Select((c, i) => char.IsUpper(c) ? (i > 0 ? "_" : "") + char.ToLowerInvariant(c) : c.ToString()));
}
