namespace Flowmesh.Gossip.Membership;

/// <summary>
/// The cluster's time as this node estimates it: its wall clock minus its own offset from the median of all members'
/// clocks (<see cref="ClockEstimate.Self"/>). Record plausibility checks use it, so a node whose clock is an hour
/// behind does not refuse its peers' records as "from the future". Alone, it is the wall clock. The monotonic
/// timestamp is the wall provider's.
/// </summary>
public sealed class ClusterTime(TimeProvider wall, Func<ClockEstimate> estimate) : TimeProvider
{
    public override DateTimeOffset GetUtcNow()
    {
        var now = wall.GetUtcNow();
        var self = estimate().Self;
        // A DateTimeOffset cannot hold every difference of two timestamps; an estimate that does not fit is ignored.
        if (self == TimeSpan.MinValue) return now;
        return self.Duration() < now - DateTimeOffset.MinValue && self.Duration() < DateTimeOffset.MaxValue - now ? now - self : now;
    }

    public override long GetTimestamp() => wall.GetTimestamp();

    public override long TimestampFrequency => wall.TimestampFrequency;
}
