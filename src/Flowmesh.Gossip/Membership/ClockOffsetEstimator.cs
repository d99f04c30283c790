namespace Flowmesh.Gossip.Membership;

/// <summary>
/// Estimates clock offsets from membership round trips, as NTP does: a direct probe sent at t1 (our clock) is acked in
/// a packet sealed at t3 (the peer's clock, authenticated) and arrives at t4; with the peer answering on receipt
/// (t2 ≈ t3), the peer's offset is ((t2 − t1) + (t3 − t4)) / 2 = t3 − t4 + rtt/2, and its error is at most half the
/// round trip. Per peer the last <see cref="MembershipOptions.ClockSamplesPerPeer"/> samples are kept and the one with
/// the shortest round trip wins (NTP's clock filter: delay only adds error). Across peers the median, with this node
/// as one more voter at offset zero, is the cluster's time, so an outlier cannot move it. Samples age out after
/// <see cref="MembershipOptions.ClockSampleMaxAge"/>. A jump must show at once, not when the faster samples taken
/// before it age out: a new sample that does not overlap an older one (offset ± half the round trip) replaces it (the
/// peer's clock stepped), and a sample taken before our own wall clock stepped against the monotonic one is ignored.
/// Written on the node's loop, read from any thread: locked.
/// </summary>
public sealed class ClockOffsetEstimator
{
    private readonly int _perPeer;
    private readonly TimeSpan _maxAge;
    private readonly TimeSpan _alert;
    private readonly Dictionary<NodeId, List<Sample>> _samples = [];
    private readonly object _lock = new();

    /// <summary>Slack on every consistency test: timestamps are whole milliseconds and read at slightly different moments.</summary>
    public static readonly TimeSpan JumpTolerance = TimeSpan.FromMilliseconds(50);

    /// <summary>Round trips longer than this (a ping answered by the TCP fallback, a stalled loop) say little: ignored.</summary>
    public static readonly TimeSpan MaxRoundTrip = TimeSpan.FromSeconds(5);

    public ClockOffsetEstimator(MembershipOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.ClockSamplesPerPeer < 1) throw new ArgumentOutOfRangeException(nameof(options), "ClockSamplesPerPeer must be at least 1");
        if (options.ClockSampleMaxAge <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(options), "ClockSampleMaxAge must be positive");
        _perPeer = options.ClockSamplesPerPeer;
        _maxAge = options.ClockSampleMaxAge;
        _alert = options.ClockSkewAlert;
    }

    /// <summary>Samples taken so far (all peers), for counters and tests.</summary>
    public long SamplesTaken { get; private set; }

    /// <summary>
    /// Adds one round trip: the ack's sealed timestamp (<paramref name="peerSentAt"/>, t3), its arrival by our clock
    /// (t4), and the round trip measured on our monotonic clock. Nonsense (a negative round trip) is ignored; a hostile
    /// timestamp only moves that one peer, which the median outvotes.
    /// </summary>
    public void Add(NodeId peer, DateTimeOffset peerSentAt, DateTimeOffset receivedAt, TimeSpan roundTrip, TimeSpan now)
    {
        if (roundTrip < TimeSpan.Zero || roundTrip > MaxRoundTrip) return;
        var offset = peerSentAt - receivedAt + roundTrip / 2;
        var sample = new Sample(offset, roundTrip, now, receivedAt - DateTimeOffset.UnixEpoch - now);
        lock (_lock)
        {
            if (!_samples.TryGetValue(peer, out var list)) _samples[peer] = list = new List<Sample>(_perPeer);
            // The true offset lies within each sample's offset ± rtt/2 (plus a little for our own clock's reading):
            // an older sample whose interval misses the new one's was taken before a step of either clock.
            list.RemoveAll(old => (old.Offset - offset).Duration() > (old.RoundTrip + roundTrip) / 2 + JumpTolerance);
            if (list.Count == _perPeer) list.RemoveAt(0);
            list.Add(sample);
            SamplesTaken++;
        }
    }

    /// <summary>A peer that died or left stops voting at once.</summary>
    public void Forget(NodeId peer)
    {
        lock (_lock) _samples.Remove(peer);
    }

    /// <summary>The peer's clock minus ours (the least delayed recent sample), or null when it has none.</summary>
    public TimeSpan? PeerOffset(NodeId peer, TimeSpan now, DateTimeOffset? wallNow = null)
    {
        lock (_lock) return _samples.TryGetValue(peer, out var list) ? Best(list, now, wallNow) : null;
    }

    /// <param name="now">The node's monotonic clock.</param>
    /// <param name="wallNow">
    /// Our wall clock now: samples taken while it stood elsewhere against the monotonic clock (it stepped since) are
    /// ignored, so a jump of our own clock is not reported as every peer's. Null skips the check (the simulator).
    /// </param>
    public ClockEstimate Estimate(TimeSpan now, DateTimeOffset? wallNow = null)
    {
        var offsets = new Dictionary<NodeId, TimeSpan>();
        lock (_lock)
        {
            foreach (var (peer, list) in _samples)
            {
                if (Best(list, now, wallNow) is { } best) offsets[peer] = best;
            }
        }
        if (offsets.Count == 0) return ClockEstimate.None(_alert);
        var reference = Median([TimeSpan.Zero, .. offsets.Values]);
        return new ClockEstimate(-reference, offsets.ToDictionary(p => p.Key, p => p.Value - reference), _alert);
    }

    /// <summary>The middle value; with an even count the mean of the two middle ones (a two-node cluster cannot tell
    /// which clock is wrong, so each is shown half the difference off).</summary>
    public static TimeSpan Median(IReadOnlyList<TimeSpan> values)
    {
        if (values.Count == 0) throw new ArgumentException("no values", nameof(values));
        var sorted = values.Order().ToArray();
        var middle = sorted.Length / 2;
        if (sorted.Length % 2 == 1) return sorted[middle];
        // Halves first (in whole ticks, rounded toward zero): the sum of two extreme offsets must not overflow.
        long a = sorted[middle - 1].Ticks, b = sorted[middle].Ticks;
        return TimeSpan.FromTicks(a / 2 + b / 2 + (a % 2 + b % 2) / 2);
    }

    private TimeSpan? Best(List<Sample> list, TimeSpan now, DateTimeOffset? wallNow)
    {
        var wallMinusMonotonic = wallNow is { } w ? w - DateTimeOffset.UnixEpoch - now : (TimeSpan?)null;
        Sample? best = null;
        foreach (var s in list)
        {
            if (now - s.At > _maxAge) continue;
            // Our wall clock stepped since this sample (the monotonic one never does): its offset is stale.
            if (wallMinusMonotonic is { } current && (current - s.WallMinusMonotonic).Duration() > OwnStepTolerance) continue;
            if (best is null || s.RoundTrip < best.Value.RoundTrip) best = s;
        }
        return best?.Offset;
    }

    /// <summary>How far our wall clock may drift against the monotonic one (slewing, reading delays) before it counts as a step.</summary>
    public static readonly TimeSpan OwnStepTolerance = TimeSpan.FromSeconds(1);

    /// <param name="WallMinusMonotonic">Our wall clock minus our monotonic clock when the sample was taken.</param>
    private readonly record struct Sample(TimeSpan Offset, TimeSpan RoundTrip, TimeSpan At, TimeSpan WallMinusMonotonic);
}
