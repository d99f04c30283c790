using System.Diagnostics;
using Flowmesh.Gossip.Transport;

namespace Flowmesh.Gossip.Tests.Transport;

/// <summary>The token bucket table on an explicit clock: the expected counts are computed by hand from rate and burst.</summary>
public sealed class PeerRateLimiterTests
{
    private static readonly long Second = Stopwatch.Frequency;

    [Fact]
    public void A_quiet_peer_gets_its_burst_then_exactly_the_rate()
    {
        var limiter = new PeerRateLimiter<string>(eventsPerSecond: 10, eventBurst: 5, bytesPerSecond: 0, byteBurst: 0, maxEntries: 8);
        var t0 = 1000 * Second;
        var burst = Enumerable.Range(0, 20).Count(_ => limiter.TryAcquire("a", 100, t0));
        Assert.Equal(5, burst);

        // Over the next 3.05 s, one attempt every millisecond: 10/s refill gives exactly 30 more (bucket started empty;
        // the 31st token would need 3.1 s).
        var accepted = 0;
        for (var ms = 1; ms <= 3050; ms++)
            if (limiter.TryAcquire("a", 100, t0 + ms * Second / 1000)) accepted++;
        Assert.Equal(30, accepted);
    }

    [Fact]
    public void The_byte_budget_limits_big_events_and_a_refused_event_takes_nothing()
    {
        var limiter = new PeerRateLimiter<string>(eventsPerSecond: 1000, eventBurst: 1000, bytesPerSecond: 1000, byteBurst: 3000, maxEntries: 8);
        var t0 = 50 * Second;
        Assert.True(limiter.TryAcquire("a", 2000, t0));
        Assert.False(limiter.TryAcquire("a", 2000, t0)); // 1000 left
        Assert.True(limiter.TryAcquire("a", 1000, t0)); // the refusal did not spend the 1000
        Assert.False(limiter.TryAcquire("a", 1, t0));
        var later = t0 + Second * 6 / 10; // 0.6 s refills 600 bytes
        Assert.True(limiter.TryAcquire("a", 500, later));
        Assert.False(limiter.TryAcquire("a", 101, later));
        Assert.True(limiter.TryAcquire("a", 99, later));
    }

    [Fact]
    public void Peers_have_separate_budgets()
    {
        var limiter = new PeerRateLimiter<string>(1, 2, 0, 0, 8);
        var t = 7 * Second;
        Assert.True(limiter.TryAcquire("flooder", 1, t));
        Assert.True(limiter.TryAcquire("flooder", 1, t));
        Assert.False(limiter.TryAcquire("flooder", 1, t));
        Assert.True(limiter.TryAcquire("normal", 1, t));
    }

    [Fact]
    public void The_table_stays_bounded_and_forgets_the_least_recently_seen_peer()
    {
        var limiter = new PeerRateLimiter<int>(1, 1, 0, 0, maxEntries: 100);
        var t = 9 * Second;
        Assert.True(limiter.TryAcquire(-1, 1, t)); // a busy peer: its bucket is now empty
        for (var i = 0; i < 100_000; i++)
        {
            Assert.True(limiter.TryAcquire(i, 1, t), "each new peer starts with a full bucket");
            if (i % 10 == 0) Assert.False(limiter.TryAcquire(-1, 1, t)); // seen often: kept, still empty
            Assert.True(limiter.Count <= 100);
        }
        Assert.Equal(100, limiter.Count);
        Assert.Equal(100_000 + 1 - 100, limiter.Evictions);
    }

    [Fact]
    public void Bad_settings_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new PeerRateLimiter<int>(-1, 1, 0, 0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PeerRateLimiter<int>(1, 0, 0, 0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PeerRateLimiter<int>(1, 1, 10, 0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PeerRateLimiter<int>(1, 1, 0, 0, 0));
    }
}
