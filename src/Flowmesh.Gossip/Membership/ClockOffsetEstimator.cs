namespace Flowmesh.Gossip.Membership;

/// <summary>
/// Estimates clock offsets from membership round trips, as NTP does: a direct probe sent at t1 (our clock) is acked in
/// a packet sealed at t3 (the peer's clock, authenticated) and arrives at t4; with the peer answering on receipt
/// (t2 ≈ t3), the peer's offset is ((t2 − t1) + (t3 − t4)) / 2 = t3 − t4 + rtt/2, and its error is at most half the
/// round trip. Per peer the last <see cref="MembershipOptions.ClockSamplesPerPeer"/> samples are kept and the one with
/// the shortest round trip wins (NTP's clock filter: delay only adds error). Across peers the median, with this node
/// as one more voter at offset zero, is the cluster's time, so an outlier cannot move it. Samples age out after
/// <see cref="MembershipOptions.ClockSampleMaxAge"/>. Written on the node's loop, read from any thread: locked.
/// </summary>
public sealed class ClockOffsetEstimator
{
    private readonly int _perPeer;
    private readonly TimeSpan _maxAge;
    private readonly TimeSpan _alert;
    private readonly Dictionary<NodeId, List<Sample>> _samples = [];
    private readonly object _lock = new();

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
        if (roundTrip < TimeSpan.Zero) return;
        var offset = peerSentAt - receivedAt + roundTrip / 2;
        lock (_lock)
        {
            if (!_samples.TryGetValue(peer, out var list)) _samples[peer] = list = new List<Sample>(_perPeer);
            if (list.Count == _perPeer) list.RemoveAt(0);
            list.Add(new Sample(offset, roundTrip, now));
            SamplesTaken++;
        }
    }

    /// <summary>A peer that died or left stops voting at once.</summary>
    public void Forget(NodeId peer)
    {
        lock (_lock) _samples.Remove(peer);
    }

    /// <summary>The peer's clock minus ours (the least delayed recent sample), or null when it has none.</summary>
    public TimeSpan? PeerOffset(NodeId peer, TimeSpan now)
    {
        lock (_lock) return _samples.TryGetValue(peer, out var list) ? Best(list, now) : null;
    }

    public ClockEstimate Estimate(TimeSpan now)
    {
        var offsets = new Dictionary<NodeId, TimeSpan>();
        lock (_lock)
        {
            foreach (var (peer, list) in _samples)
            {
                if (Best(list, now) is { } best) offsets[peer] = best;
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

    private TimeSpan? Best(List<Sample> list, TimeSpan now)
    {
        Sample? best = null;
        foreach (var s in list)
        {
            if (now - s.At > _maxAge) continue;
            if (best is null || s.RoundTrip < best.Value.RoundTrip) best = s;
        }
        return best?.Offset;
    }

    private readonly record struct Sample(TimeSpan Offset, TimeSpan RoundTrip, TimeSpan At);
}
