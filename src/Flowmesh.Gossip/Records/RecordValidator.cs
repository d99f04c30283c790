using Flowmesh.Core.Epochs;
using Flowmesh.Core.Sketches;
using Flowmesh.Gossip.Security;

namespace Flowmesh.Gossip.Records;

/// <summary>
/// The one gate between the network and the store: bytes in, a <see cref="VerifiedRecord"/> or a counted
/// rejection out. Cheap checks come first (size, envelope form, record decode, origin match, plausibility) and the
/// signature with the TOFU binding last, so garbage costs no ECDSA verification and only a record that passed
/// everything can bind an origin to a key. Never throws. Thread-safe.
/// </summary>
public sealed class RecordValidator : IRecordVerifier
{
    private readonly TrustedOrigins _trust;
    private readonly SketchHashKey _sketchKey;
    private readonly ReplicationOptions _options;
    private readonly TimeProvider _time;

    public RecordValidator(TrustedOrigins trust, SketchHashKey sketchKey, ReplicationOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(trust);
        ArgumentNullException.ThrowIfNull(sketchKey);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        options.Validate();
        _trust = trust;
        _sketchKey = sketchKey;
        _options = options;
        _time = time;
    }

    /// <summary>Every refusal by reason (also those that TrustedOrigins counts in its own counters).</summary>
    public RecordRejectCounters Rejections { get; } = new();

    public long Accepted => Interlocked.Read(ref _accepted);
    private long _accepted;

    public bool TryVerify(ReadOnlySpan<byte> envelope, out VerifiedRecord? record, out RecordRejection rejection)
    {
        record = null;
        var verdict = Check(envelope, out record);
        if (verdict is { } refused)
        {
            Rejections.Count(refused);
            rejection = refused;
            record = null;
            return false;
        }
        Interlocked.Increment(ref _accepted);
        rejection = default;
        return true;
    }

    private RecordRejection? Check(ReadOnlySpan<byte> envelope, out VerifiedRecord? verified)
    {
        verified = null;
        if (envelope.Length > _options.MaxEnvelopeBytes) return RecordRejection.Oversized;
        if (!SignedRecord.TryDecode(envelope, out var signed, out var rejection)) return rejection;

        EpochRecord epoch;
        try
        {
            epoch = EpochRecord.Decode(signed!.Record, _sketchKey);
        }
        catch (EpochRecordFormatException)
        {
            return RecordRejection.UndecodableRecord;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IndexOutOfRangeException or OverflowException or InvalidDataException)
        {
            // Decoders are tested not to throw anything else, but one escaped exception here would stop a session.
            return RecordRejection.UndecodableRecord;
        }

        var id = epoch.Id;
        if (!string.Equals(id.Origin, signed.Origin.Value, StringComparison.Ordinal)) return RecordRejection.OriginMismatch;
        if (id.LengthMicros < Micros(_options.MinEpochLength) || id.LengthMicros > Micros(_options.MaxEpochLength))
            return RecordRejection.ImplausibleEpochLength;
        var now = NowMicros(_time);
        if (id.StartMicros > now + Micros(_options.MaxClockSkew)) return RecordRejection.FromTheFuture;
        if (id.EndMicros < RetentionHorizonMicros(now, _options)) return RecordRejection.Expired;

        if (!_trust.TryAccept(signed, out rejection)) return rejection;
        verified = new VerifiedRecord(id, epoch.ContentHash, signed.Encode());
        return null;
    }

    internal static long Micros(TimeSpan span) => span.Ticks / TimeSpan.TicksPerMicrosecond;

    internal static long NowMicros(TimeProvider time) => time.GetUtcNow().ToUnixTimeMilliseconds() * 1000;

    /// <summary>Records whose epoch ended before this are expired.</summary>
    internal static long RetentionHorizonMicros(long nowMicros, ReplicationOptions options) => nowMicros - Micros(options.Retention);
}
