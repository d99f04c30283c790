using Flowmesh.Gossip.Membership;
using Flowmesh.Gossip.Tests.Records;

namespace Flowmesh.Gossip.Tests.Membership;

public sealed class ClusterTimeTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 10, 0, 0, TimeSpan.Zero);

    private static ClusterTime At(TimeSpan self) =>
        new(new FixedTime(Now), () => new ClockEstimate(self, new Dictionary<NodeId, TimeSpan>(), TimeSpan.FromSeconds(5)));

    [Fact]
    public void A_clock_an_hour_behind_reads_the_clusters_time()
    {
        Assert.Equal(Now + TimeSpan.FromHours(1), At(TimeSpan.FromHours(-1)).GetUtcNow());
        Assert.Equal(Now - TimeSpan.FromDays(8), At(TimeSpan.FromDays(8)).GetUtcNow());
        Assert.Equal(Now, At(TimeSpan.Zero).GetUtcNow());
    }

    [Fact]
    public void An_offset_a_date_cannot_hold_is_ignored_not_thrown()
    {
        Assert.Equal(Now, At(TimeSpan.MaxValue).GetUtcNow());
        Assert.Equal(Now, At(TimeSpan.MinValue + TimeSpan.FromTicks(1)).GetUtcNow());
        Assert.Equal(Now, At(TimeSpan.MinValue).GetUtcNow());
    }
}
