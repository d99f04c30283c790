using Flowmesh.Core;
using Flowmesh.Core.Sketches;
using Flowmesh.Core.Zones;
using Flowmesh.Gossip.Records;
using Flowmesh.Gossip.Security;

namespace Flowmesh.Gossip.Zones;

/// <summary>
/// Turns a zone aggregate's envelope from the network into a verified record: the producer's signature (bound to its
/// name like its records' origin), an aggregate that decodes under the cluster's sketch key and names the signer as
/// its producer, a plausible period. What it cannot check alone, that the producer merged its inputs right, anyone can
/// check later by fetching the inputs (<see cref="ZoneAggregate.IsMergeOf(IEnumerable{Flowmesh.Core.Epochs.EpochRecord})"/>).
/// </summary>
public sealed class AggregateValidator : IRecordVerifier
{
    private readonly IOriginTrust _trust;
    private readonly SketchHashKey _sketchKey;
    private readonly ReplicationOptions _options;
    private readonly TimeProvider _time;

    public AggregateValidator(IOriginTrust trust, SketchHashKey sketchKey, ReplicationOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(trust);
        ArgumentNullException.ThrowIfNull(sketchKey);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        _trust = trust;
        _sketchKey = sketchKey;
        _options = options;
        _time = time;
    }

    public RecordRejectCounters Rejections { get; } = new();

    public bool TryVerify(ReadOnlySpan<byte> envelope, out VerifiedRecord? record, out RecordRejection rejection) =>
        TryVerify(envelope, out record, out _, out rejection);

    /// <summary>Also hands back the decoded aggregate, for whoever indexes aggregates (the superset rule needs manifests).</summary>
    public bool TryVerify(ReadOnlySpan<byte> envelope, out VerifiedRecord? record, out ZoneAggregate? aggregate, out RecordRejection rejection)
    {
        var verdict = Check(envelope, out record, out aggregate);
        if (verdict is { } refused)
        {
            Rejections.Count(refused);
            rejection = refused;
            record = null;
            aggregate = null;
            return false;
        }
        rejection = default;
        return true;
    }

    private RecordRejection? Check(ReadOnlySpan<byte> envelope, out VerifiedRecord? verified, out ZoneAggregate? aggregate)
    {
        verified = null;
        aggregate = null;
        if (envelope.Length > _options.MaxEnvelopeBytes) return RecordRejection.Oversized;
        if (!SignedRecord.TryDecode(envelope, out var signed, out var rejection)) return rejection;
        ZoneAggregate decoded;
        try
        {
            decoded = ZoneAggregate.Decode(signed!.Record, _sketchKey);
        }
        catch (ZoneAggregateFormatException)
        {
            return RecordRejection.UndecodableRecord;
        }
        if (!string.Equals(decoded.Producer, signed.Origin.Value, StringComparison.Ordinal)) return RecordRejection.OriginMismatch;
        if (decoded.LengthMicros < UnixMicros.FromDuration(_options.MinEpochLength)) return RecordRejection.ImplausibleEpochLength;
        var id = AggregateSealer.IdOf(decoded);
        var now = UnixMicros.Now(_time);
        if (id.StartMicros > now + UnixMicros.FromDuration(_options.MaxClockSkew)) return RecordRejection.FromTheFuture;
        if (_options.Retention.Expired(id, now)) return RecordRejection.Expired;
        if (!_trust.TryAccept(signed, out rejection)) return rejection;
        verified = new VerifiedRecord(id, decoded.Hash.ToString(), signed.Encode()) { Decoded = decoded.Contents };
        aggregate = decoded;
        return null;
    }
}
