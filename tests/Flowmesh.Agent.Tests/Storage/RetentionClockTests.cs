using Flowmesh.Agent.Storage;
using Flowmesh.Gossip.Records;

namespace Flowmesh.Agent.Tests.Storage;

/// <summary>
/// Issue 15: a +8 day jump of the wall clock deleted all history. Retention's clock follows the monotonic clock unless
/// peers confirm the later time; here a wall clock and a monotonic clock the test moves separately are the truth.
/// </summary>
public sealed class RetentionClockTests : IDisposable
{
    private const long Minute = 60_000_000;
    private static readonly DateTimeOffset Start = DateTimeOffset.UnixEpoch + TimeSpan.FromDays(30);
    private readonly StorageFixture _fixture = new();
    private readonly SteppedTime _time = new(Start);
    private (TimeSpan SelfOffset, int PeersSampled) _cluster = (TimeSpan.Zero, 0);

    private RetentionClock Clock() => new(_time, () => _cluster);

    [Fact]
    public void While_both_clocks_run_together_it_is_the_wall_clock()
    {
        var clock = Clock();
        _time.Run(TimeSpan.FromHours(3));
        Assert.Equal((Start + TimeSpan.FromHours(3), TimeSpan.Zero), clock.Now());
        Assert.Equal(0, clock.HeldBack);
    }

    [Fact]
    public void A_jump_ahead_alone_is_held_to_the_monotonic_clock_counted_and_deletes_nothing_more()
    {
        using var database = _fixture.Open(new StorageOptions { Retention = RecordRetention.Flat(TimeSpan.FromDays(7)) });
        // Three days of history, one record a minute of the last hour of each day, ending now.
        long now = (Start - DateTimeOffset.UnixEpoch).Ticks / 10;
        for (var day = 0; day < 3; day++)
            for (var m = 1; m <= 60; m++) Assert.True(database.Records.Write(StorageFixture.Record("a", now - day * 1440 * Minute - m * Minute, size: 10)));
        var clock = Clock();
        _time.Run(TimeSpan.FromMinutes(1));
        _time.StepWall(TimeSpan.FromDays(8));
        var (retentionNow, heldBackBy) = clock.Now();
        Assert.Equal(Start + TimeSpan.FromMinutes(1), retentionNow);
        Assert.Equal(TimeSpan.FromDays(8), heldBackBy);
        Assert.Equal(1, clock.HeldBack);
        Assert.Equal(0, database.Records.Prune(retentionNow).RecordsDeleted);
        Assert.Equal(180, database.Records.Digest().Sum(d => d.Count));
        // What the wall clock alone would have done (the old code): every record gone.
        Assert.Equal(180, database.Records.Prune(_time.GetUtcNow()).RecordsDeleted);
    }

    [Fact]
    public void A_jump_back_is_followed_at_once_because_it_deletes_less()
    {
        var clock = Clock();
        _time.StepWall(TimeSpan.FromDays(-8));
        Assert.Equal((Start - TimeSpan.FromDays(8), TimeSpan.Zero), clock.Now());
        // Back to the right time later: held to the monotonic clock from the jumped-back reference, unless confirmed.
        _time.Run(TimeSpan.FromMinutes(1));
        _time.StepWall(TimeSpan.FromDays(8));
        Assert.Equal(Start - TimeSpan.FromDays(8) + TimeSpan.FromMinutes(1), clock.Now().Now);
        _cluster = (TimeSpan.Zero, 2);
        Assert.Equal((Start + TimeSpan.FromMinutes(1), TimeSpan.Zero), clock.Now());
    }

    [Fact]
    public void Peers_that_measured_this_clock_eight_days_ahead_give_the_clusters_time()
    {
        var clock = Clock();
        _time.StepWall(TimeSpan.FromDays(8));
        _cluster = (TimeSpan.FromDays(8), 2);
        Assert.Equal((Start, TimeSpan.Zero), clock.Now());
        // One peer is no majority: a lone peer's word does not move retention ahead.
        _cluster = (TimeSpan.Zero, 1);
        Assert.Equal(Start, clock.Now().Now);
    }

    /// <summary>A laptop suspended for a night: the monotonic clock stood still, the wall clock did not. Peers confirm
    /// the later time, and from then on retention follows it.</summary>
    [Fact]
    public void A_gap_the_monotonic_clock_did_not_count_is_taken_once_peers_confirm_it()
    {
        var clock = Clock();
        _time.StepWall(TimeSpan.FromHours(8));
        Assert.Equal(Start, clock.Now().Now);
        _cluster = (TimeSpan.Zero, 2);
        Assert.Equal(Start + TimeSpan.FromHours(8), clock.Now().Now);
        _cluster = (TimeSpan.Zero, 0);
        _time.Run(TimeSpan.FromMinutes(5));
        Assert.Equal((Start + TimeSpan.FromHours(8) + TimeSpan.FromMinutes(5), TimeSpan.Zero), clock.Now());
    }

    public void Dispose() => _fixture.Dispose();

    /// <summary>A wall clock that can step and a monotonic clock that only runs.</summary>
    private sealed class SteppedTime(DateTimeOffset wall) : TimeProvider
    {
        private DateTimeOffset _wall = wall;
        private long _ticks;

        public override DateTimeOffset GetUtcNow() => _wall;
        public override long GetTimestamp() => _ticks;
        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public void Run(TimeSpan by)
        {
            _wall += by;
            _ticks += by.Ticks;
        }

        public void StepWall(TimeSpan by) => _wall += by;
    }
}
