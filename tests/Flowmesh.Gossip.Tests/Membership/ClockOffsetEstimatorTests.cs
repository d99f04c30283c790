using Flowmesh.Gossip.Membership;

namespace Flowmesh.Gossip.Tests.Membership;

/// <summary>
/// The offset estimator with fixed inputs: NTP's formula per round trip, the least delayed sample per peer, the median
/// across members (this node one voter), ageing, and hostile timestamps.
/// </summary>
public sealed class ClockOffsetEstimatorTests
{
    private static readonly DateTimeOffset T = new(2026, 12, 7, 10, 0, 0, TimeSpan.Zero);
    private static readonly MembershipOptions Options = MembershipOptions.Lan();
    private static readonly TimeSpan Ms = TimeSpan.FromMilliseconds(1);

    /// <summary>
    /// A round trip as it happens: we send at <paramref name="t1"/> (our clock); the ping takes <paramref name="there"/>,
    /// the peer (clock <paramref name="offset"/> ahead) answers at once; the ack takes <paramref name="back"/>.
    /// </summary>
    private static void RoundTrip(ClockOffsetEstimator e, string peer, TimeSpan offset, DateTimeOffset t1, TimeSpan there, TimeSpan back, TimeSpan? now = null)
    {
        var t3 = t1 + there + offset;          // the peer's clock when it sealed the ack
        var t4 = t1 + there + back;            // ours when the ack arrived
        e.Add(new NodeId(peer), t3, t4, there + back, now ?? TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void One_symmetric_round_trip_gives_the_exact_offset_as_ntp_does()
    {
        var e = new ClockOffsetEstimator(Options);
        RoundTrip(e, "b", TimeSpan.FromHours(1), T, 5 * Ms, 5 * Ms);
        Assert.Equal(TimeSpan.FromHours(1), e.PeerOffset(new NodeId("b"), TimeSpan.FromSeconds(10)));
        // ((t2 - t1) + (t3 - t4)) / 2 with t2 = t3, written out independently:
        var t1 = T; var t3 = T + 5 * Ms + TimeSpan.FromHours(1); var t4 = T + 10 * Ms;
        Assert.Equal(((t3 - t1) + (t3 - t4)) / 2, e.PeerOffset(new NodeId("b"), TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void The_least_delayed_sample_wins_over_queued_ones()
    {
        var e = new ClockOffsetEstimator(Options);
        // Asymmetric queueing biases a sample by half the asymmetry: 200 ms one way is 100 ms off.
        RoundTrip(e, "b", TimeSpan.FromSeconds(3), T, 200 * Ms, 1 * Ms);
        RoundTrip(e, "b", TimeSpan.FromSeconds(3), T + TimeSpan.FromSeconds(1), 1 * Ms, 1 * Ms);
        RoundTrip(e, "b", TimeSpan.FromSeconds(3), T + TimeSpan.FromSeconds(2), 1 * Ms, 300 * Ms);
        Assert.Equal(TimeSpan.FromSeconds(3), e.PeerOffset(new NodeId("b"), TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void The_median_names_the_one_wrong_clock_and_an_outlier_does_not_move_the_cluster()
    {
        var e = new ClockOffsetEstimator(Options);
        RoundTrip(e, "b", 2 * Ms, T, Ms, Ms);
        RoundTrip(e, "c", -3 * Ms, T, Ms, Ms);
        RoundTrip(e, "d", TimeSpan.FromHours(1), T, Ms, Ms);
        RoundTrip(e, "e", TimeSpan.FromDays(-8), T, Ms, Ms);
        var estimate = e.Estimate(TimeSpan.FromSeconds(10));
        // Voters: self 0, b +2 ms, c -3 ms, d +1 h, e -8 d: the median is self's 0.
        Assert.Equal(TimeSpan.Zero, estimate.Self);
        Assert.Equal(4, estimate.Sampled);
        Assert.Equal(TimeSpan.FromHours(1), estimate.Peers[new NodeId("d")]);
        Assert.Equal(TimeSpan.FromDays(-8), estimate.Peers[new NodeId("e")]);
        Assert.False(estimate.SelfSkewed);
        Assert.Equal(["d", "e"], estimate.SkewedMembers(new NodeId("a")).Select(m => m.Node.Value));
    }

    [Fact]
    public void A_node_whose_own_clock_is_an_hour_ahead_sees_itself_skewed_and_its_peers_on_time()
    {
        var e = new ClockOffsetEstimator(Options);
        RoundTrip(e, "b", TimeSpan.FromHours(-1), T, Ms, Ms);
        RoundTrip(e, "c", TimeSpan.FromHours(-1) - 4 * Ms, T, Ms, Ms);
        var estimate = e.Estimate(TimeSpan.FromSeconds(10));
        // Voters: c -1 h - 4 ms, b -1 h, self 0: the median is b's, so this node is 1 h ahead.
        Assert.Equal(TimeSpan.FromHours(1), estimate.Self);
        Assert.Equal(TimeSpan.Zero, estimate.Peers[new NodeId("b")]);
        Assert.Equal(-4 * Ms, estimate.Peers[new NodeId("c")]);
        Assert.True(estimate.SelfSkewed);
        Assert.Equal([("a", TimeSpan.FromHours(1))], estimate.SkewedMembers(new NodeId("a")).Select(m => (m.Node.Value, m.Offset)));
    }

    [Fact]
    public void Two_nodes_cannot_tell_which_clock_is_wrong_so_each_is_half_off()
    {
        var e = new ClockOffsetEstimator(Options);
        RoundTrip(e, "b", TimeSpan.FromHours(1), T, Ms, Ms);
        var estimate = e.Estimate(TimeSpan.FromSeconds(10));
        Assert.Equal(TimeSpan.FromMinutes(-30), estimate.Self);
        Assert.Equal(TimeSpan.FromMinutes(30), estimate.Peers[new NodeId("b")]);
    }

    [Fact]
    public void Alone_the_node_is_the_cluster_and_reports_no_skew()
    {
        var estimate = new ClockOffsetEstimator(Options).Estimate(TimeSpan.FromSeconds(10));
        Assert.Equal(TimeSpan.Zero, estimate.Self);
        Assert.Equal(0, estimate.Sampled);
        Assert.Empty(estimate.SkewedMembers(new NodeId("a")));
    }

    [Fact]
    public void Old_samples_age_out_so_a_fixed_clock_shows_its_new_offset_and_forgotten_peers_stop_voting()
    {
        var e = new ClockOffsetEstimator(Options);
        RoundTrip(e, "b", TimeSpan.FromHours(1), T, Ms, Ms, now: TimeSpan.FromSeconds(10));
        var later = TimeSpan.FromSeconds(10) + Options.ClockSampleMaxAge + Ms;
        Assert.Null(e.PeerOffset(new NodeId("b"), later));
        // The clock was fixed: a later, even slower, sample is the one that counts.
        RoundTrip(e, "b", TimeSpan.Zero, T + Options.ClockSampleMaxAge, 50 * Ms, 50 * Ms, now: later);
        Assert.Equal(TimeSpan.Zero, e.PeerOffset(new NodeId("b"), later));
        e.Forget(new NodeId("b"));
        Assert.Equal(0, e.Estimate(later).Sampled);
    }

    /// <summary>A peer's clock stepped (+8 days): the faster samples from before the step must not win for two minutes.</summary>
    [Fact]
    public void A_step_of_the_peers_clock_shows_with_the_first_sample_after_it()
    {
        var e = new ClockOffsetEstimator(Options);
        for (var i = 0; i < 5; i++) RoundTrip(e, "b", TimeSpan.Zero, T + TimeSpan.FromSeconds(i), Ms, Ms);
        RoundTrip(e, "b", TimeSpan.FromDays(8), T + TimeSpan.FromSeconds(6), 20 * Ms, 20 * Ms);
        Assert.Equal(TimeSpan.FromDays(8), e.PeerOffset(new NodeId("b"), TimeSpan.FromSeconds(10)));
        // Jitter within the round trips is not a step: the faster sample still wins.
        RoundTrip(e, "b", TimeSpan.FromDays(8) + 3 * Ms, T + TimeSpan.FromSeconds(7), Ms, Ms);
        Assert.Equal(TimeSpan.FromDays(8) + 3 * Ms, e.PeerOffset(new NodeId("b"), TimeSpan.FromSeconds(10)));
        RoundTrip(e, "b", TimeSpan.FromDays(8) + 10 * Ms, T + TimeSpan.FromSeconds(8), 30 * Ms, 30 * Ms);
        Assert.Equal(TimeSpan.FromDays(8) + 3 * Ms, e.PeerOffset(new NodeId("b"), TimeSpan.FromSeconds(10)));
    }

    /// <summary>Our own wall clock stepped: samples taken before are stale (every peer would look 8 days behind) until
    /// new ones are taken, and then this node is the one 8 days ahead.</summary>
    [Fact]
    public void Samples_from_before_a_step_of_our_own_clock_are_ignored()
    {
        var e = new ClockOffsetEstimator(Options);
        var monotonic = TimeSpan.FromSeconds(10);
        var wall = T + TimeSpan.FromMilliseconds(2); // our wall clock when the acks arrive (t4 of RoundTrip)
        RoundTrip(e, "b", TimeSpan.Zero, T, Ms, Ms, monotonic);
        RoundTrip(e, "c", TimeSpan.Zero, T, Ms, Ms, monotonic);
        Assert.Equal(2, e.Estimate(monotonic, wall).Sampled);
        var jumped = wall + TimeSpan.FromDays(8);
        Assert.Equal(0, e.Estimate(monotonic, jumped).Sampled);
        // After the step the peers are measured again, against the new wall clock.
        var later = monotonic + TimeSpan.FromSeconds(2);
        RoundTrip(e, "b", TimeSpan.FromDays(-8), jumped - 2 * Ms + TimeSpan.FromSeconds(2), Ms, Ms, later);
        RoundTrip(e, "c", TimeSpan.FromDays(-8), jumped - 2 * Ms + TimeSpan.FromSeconds(2), Ms, Ms, later);
        var estimate = e.Estimate(later, jumped + TimeSpan.FromSeconds(2));
        Assert.Equal(2, estimate.Sampled);
        Assert.Equal(TimeSpan.FromDays(8), estimate.Self);
    }

    [Fact]
    public void Only_the_last_samples_per_peer_are_kept()
    {
        var e = new ClockOffsetEstimator(Options with { ClockSamplesPerPeer = 2 });
        RoundTrip(e, "b", 9 * Ms, T, Ms, Ms);              // fastest, consistent with the others, but pushed out by the next two
        RoundTrip(e, "b", 1 * Ms, T, 3 * Ms, 3 * Ms);
        RoundTrip(e, "b", 1 * Ms, T, 2 * Ms, 2 * Ms);
        Assert.Equal(1 * Ms, e.PeerOffset(new NodeId("b"), TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void Hostile_timestamps_do_not_throw_and_are_outvoted()
    {
        var e = new ClockOffsetEstimator(Options);
        e.Add(new NodeId("evil"), DateTimeOffset.MaxValue, DateTimeOffset.MinValue, Ms, TimeSpan.FromSeconds(10));
        e.Add(new NodeId("slow"), T, T, TimeSpan.MaxValue, TimeSpan.FromSeconds(10)); // ignored: no round trip takes that long
        e.Add(new NodeId("evil2"), DateTimeOffset.MinValue, DateTimeOffset.MaxValue, TimeSpan.Zero, TimeSpan.FromSeconds(10));
        e.Add(new NodeId("negative"), T, T, TimeSpan.FromSeconds(-1), TimeSpan.FromSeconds(10)); // ignored
        RoundTrip(e, "b", Ms, T, Ms, Ms);
        RoundTrip(e, "c", -Ms, T, Ms, Ms);
        var estimate = e.Estimate(TimeSpan.FromSeconds(10));
        Assert.Equal(TimeSpan.Zero, estimate.Self);
        Assert.False(estimate.Peers.ContainsKey(new NodeId("negative")));
        Assert.False(estimate.Peers.ContainsKey(new NodeId("slow")));
        Assert.Equal(["evil", "evil2"], estimate.SkewedMembers(new NodeId("a")).Select(m => m.Node.Value));
    }

    [Theory]
    [InlineData(new[] { 5L }, 5L)]
    [InlineData(new[] { 3L, 1L, 2L }, 2L)]
    [InlineData(new[] { 4L, 1L, 3L, 2L }, 2L)] // (2 + 3) / 2 in whole ticks, rounded toward zero
    [InlineData(new[] { -4L, -1L, -3L, -2L }, -2L)]
    [InlineData(new[] { 0L, 0L, 0L, 100L, -100L }, 0L)]
    public void Median_of_fixed_values(long[] ticks, long expected) =>
        Assert.Equal(TimeSpan.FromTicks(expected), ClockOffsetEstimator.Median([.. ticks.Select(TimeSpan.FromTicks)]));

    [Fact]
    public void Median_of_the_extremes_does_not_overflow() =>
        Assert.Equal(TimeSpan.Zero - TimeSpan.FromTicks(1), ClockOffsetEstimator.Median([TimeSpan.MinValue, TimeSpan.MaxValue]));
}
