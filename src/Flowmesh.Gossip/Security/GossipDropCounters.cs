namespace Flowmesh.Gossip.Security;

/// <summary>
/// Counts of dropped incoming packets, one per <see cref="GossipDropReason"/>. Updated with Interlocked so
/// several receive loops may share one instance and a reader sees consistent per-counter values.
/// </summary>
public sealed class GossipDropCounters
{
    private readonly long[] _counts = new long[Enum.GetValues<GossipDropReason>().Length];

    public long NotAuthenticated => this[GossipDropReason.NotAuthenticated];
    public long UnknownKey => this[GossipDropReason.UnknownKey];
    public long Replayed => this[GossipDropReason.Replayed];
    public long TooOld => this[GossipDropReason.TooOld];
    public long Malformed => this[GossipDropReason.Malformed];
    public long Oversized => this[GossipDropReason.Oversized];
    public long RateLimited => this[GossipDropReason.RateLimited];

    public long Total
    {
        get
        {
            long sum = 0;
            for (var i = 0; i < _counts.Length; i++) sum += Interlocked.Read(ref _counts[i]);
            return sum;
        }
    }

    public long this[GossipDropReason reason] => Interlocked.Read(ref _counts[(int)reason]);

    internal void Count(GossipDropReason reason) => Interlocked.Increment(ref _counts[(int)reason]);

    public override string ToString() =>
        $"not-authenticated {NotAuthenticated}, unknown-key {UnknownKey}, replayed {Replayed}, too-old {TooOld}, " +
        $"malformed {Malformed}, oversized {Oversized}, rate-limited {RateLimited}";
}
