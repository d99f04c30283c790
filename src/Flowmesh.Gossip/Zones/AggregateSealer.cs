using Flowmesh.Core.Epochs;
using Flowmesh.Core.Zones;
using Flowmesh.Gossip.Records;
using Flowmesh.Gossip.Security;

namespace Flowmesh.Gossip.Zones;

/// <summary>
/// Signs the zone aggregates this node produces into the same envelope as its epoch records (the producer is the
/// signer, so the key that already signs its records vouches for its merges), under a replication id that lets
/// aggregates travel through the unchanged record anti-entropy.
/// </summary>
/// <remarks>
/// Records are immutable and a store keeps the first copy of an id, but a zone's aggregate of a period is re-issued
/// when late inputs arrive (docs/zones.md "Replacement"). So the id carries the aggregate's weight: a more complete
/// re-issue has a new id and replicates like a new record, and what a node merges is chosen among the versions it
/// holds by the superset rule (<see cref="ZoneAggregateSet"/>). Two incomparable versions of equal weight (two
/// producers during a partition) share an id and the first one a node gets stays; both count each input once.
/// </remarks>
public sealed class AggregateSealer
{
    private readonly NodeIdentity _identity;
    private readonly Security.NodeCertificate? _certificate;

    /// <param name="certificate">The producer's certificate, carried by every aggregate so certified intake accepts it (issue 16).</param>
    public AggregateSealer(NodeIdentity identity, NodeId self, Security.NodeCertificate? certificate = null)
    {
        ArgumentNullException.ThrowIfNull(identity);
        _identity = identity;
        _certificate = certificate;
        Self = self;
    }

    public NodeId Self { get; }

    public VerifiedRecord Seal(ZoneAggregate aggregate)
    {
        ArgumentNullException.ThrowIfNull(aggregate);
        if (!string.Equals(aggregate.Producer, Self.Value, StringComparison.Ordinal))
            throw new ArgumentException($"aggregate producer {aggregate.Producer} is not this node ({Self})", nameof(aggregate));
        var envelope = SignedRecord.Create(_identity, Self, aggregate.Encode(), _certificate).Encode();
        return new VerifiedRecord(IdOf(aggregate), aggregate.Hash.ToString(), envelope) { Decoded = aggregate.Contents };
    }

    /// <summary>The replication id of an aggregate: origin <c>@zone#weight</c>, the aggregate's period.</summary>
    public static EpochId IdOf(ZoneAggregate aggregate)
    {
        ArgumentNullException.ThrowIfNull(aggregate);
        return new EpochId(OriginOf(aggregate.Zone, aggregate.Manifest.TotalWeight), aggregate.StartMicros, aggregate.LengthMicros);
    }

    /// <summary>The pseudo-origin of one weight of a zone's aggregates. '@' never begins a node name.</summary>
    public static string OriginOf(ZonePath zone, long weight) => ZoneAggregate.ContentsOrigin(zone) + "#" + weight.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>True for the ids <see cref="IdOf"/> makes (replication scopes route them apart from node records).</summary>
    public static bool IsAggregateOrigin(string origin) => origin.StartsWith('@');
}
