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
    private readonly IOriginTrust _trust;
    private readonly SketchHashKey _sketchKey;
    private readonly ReplicationOptions _options;
    private readonly TimeProvider _time;
    private readonly Func<string, TimeSpan?>? _originClock;
    private readonly string _sketchSettings;

    /// <param name="originClock">
    /// An origin's clock against the cluster's time, as membership measured it (null: not measured). A record of an
    /// origin whose clock runs ahead starts "in the future" by that much: it is accepted, and counted in
    /// <see cref="AcceptedFromSkewedClocks"/>, rather than refused (issue 15). Records are signed by their origin and
    /// named by their start, so a receiver cannot restamp them; the skew is shown with the member instead.
    /// </param>
    public RecordValidator(IOriginTrust trust, SketchHashKey sketchKey, ReplicationOptions options, TimeProvider time,
        Func<string, TimeSpan?>? originClock = null)
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
        _originClock = originClock;
        _sketchSettings = EpochRecord.SketchSettingsOf(sketchKey, options.SketchSettings);
    }

    /// <summary>Every refusal by reason (also those that TrustedOrigins counts in its own counters).</summary>
    public RecordRejectCounters Rejections { get; } = new();

    public long Accepted => Interlocked.Read(ref _accepted);
    private long _accepted;

    /// <summary>Records accepted only because their origin's measured clock offset explains a start in the future (the flag).</summary>
    public long AcceptedFromSkewedClocks => Interlocked.Read(ref _acceptedSkewed);
    private long _acceptedSkewed;

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
        // Issue 16: the cluster fixes its sketch settings and its epoch grid, so a record cannot choose either.
        if (!string.Equals(epoch.SketchSettings, _sketchSettings, StringComparison.Ordinal)) return RecordRejection.OtherSketchSettings;
        if (_options.Slots.SlotOf(id) is null) return RecordRejection.Misaligned;
        var now = NowMicros(_time);
        var skewed = false;
        if (id.StartMicros > now + Micros(_options.MaxClockSkew))
        {
            // Ahead by more than the tolerance: acceptable only as far as the origin's measured clock is ahead.
            var ahead = _originClock?.Invoke(id.Origin) is { } offset && offset > TimeSpan.Zero ? Micros(offset) : 0;
            if (id.StartMicros - ahead > now + Micros(_options.MaxClockSkew)) return RecordRejection.FromTheFuture;
            skewed = true;
        }
        if (_options.Retention.Expired(id, now)) return RecordRejection.Expired;

        if (!_trust.TryAccept(signed, out rejection)) return rejection;
        if (skewed) Interlocked.Increment(ref _acceptedSkewed);
        verified = new VerifiedRecord(id, epoch.ContentHash, signed.Encode()) { Decoded = epoch };
        return null;
    }

    internal static long Micros(TimeSpan span) => Core.UnixMicros.FromDuration(span);

    internal static long NowMicros(TimeProvider time) => Core.UnixMicros.Now(time);
}
