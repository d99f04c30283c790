using Flowmesh.Gossip.Membership;

namespace Flowmesh.Gossip.Tests.Membership;

public sealed class SuspicionTests
{
    private static readonly TimeSpan Min = TimeSpan.FromSeconds(8), Max = TimeSpan.FromSeconds(48);

    [Theory]
    // max − log(n+1)/log(k+1)·(max − min), k = 2: n=1 → 48 − 40·log 2/log 3 = 22.76281 s.
    [InlineData(0, 2, 48.0)]
    [InlineData(1, 2, 22.762_81)]
    [InlineData(2, 2, 8.0)]
    [InlineData(5, 2, 8.0)]
    [InlineData(0, 0, 8.0)]
    [InlineData(1, 3, 28.0)] // log 2 / log 4 = 0.5 exactly
    public void TimeoutShrinksWithLogOfConfirmations(int confirmations, int expected, double seconds) =>
        Assert.Equal(seconds, Suspicion.Timeout(confirmations, expected, Min, Max).TotalSeconds, 4);

    [Fact]
    public void OnlyNewAccusersConfirmAndOnlyUpToExpected()
    {
        var s = new Suspicion(new NodeId("a"), 2, Min, Max, TimeSpan.FromSeconds(100));
        Assert.Equal(TimeSpan.FromSeconds(148), s.Deadline);
        Assert.False(s.Confirm(new NodeId("a")));
        Assert.True(s.Confirm(new NodeId("b")));
        Assert.False(s.Confirm(new NodeId("b")));
        Assert.True(s.Confirm(new NodeId("c")));
        Assert.False(s.Confirm(new NodeId("d")));
        Assert.Equal(2, s.Confirmations);
        Assert.Equal(TimeSpan.FromSeconds(108), s.Deadline);
    }

    [Theory]
    // memberlist LAN formulas (reference table): N=100 → 8 s / 48 s / 12 retransmits / 90 s push-pull.
    [InlineData(100, 8.0, 48.0, 12, 90.0)]
    [InlineData(1000, 12.0, 72.0, 16, 180.0)]
    [InlineData(10000, 16.0, 96.0, 20, 300.0)]
    [InlineData(5, 4.0, 24.0, 4, 30.0)]
    public void OptionFormulasMatchMemberlist(int n, double min, double max, int retransmits, double pushPull)
    {
        var o = MembershipOptions.Lan();
        Assert.Equal(min, o.SuspicionMinTimeout(n).TotalSeconds, 6);
        Assert.Equal(max, o.SuspicionMaxTimeout(n).TotalSeconds, 6);
        Assert.Equal(retransmits, o.RetransmitLimit(n));
        Assert.Equal(pushPull, o.PushPullIntervalFor(n).TotalSeconds, 6);
    }

    [Fact]
    public void AwarenessScalesAndIsBounded()
    {
        var a = new Awareness(8);
        a.ApplyDelta(-3);
        Assert.Equal(0, a.Score);
        a.ApplyDelta(20);
        Assert.Equal(7, a.Score);
        Assert.Equal(TimeSpan.FromSeconds(8), a.Scale(TimeSpan.FromSeconds(1)));
        a.ApplyDelta(-6);
        Assert.Equal(TimeSpan.FromMilliseconds(1000), a.Scale(TimeSpan.FromMilliseconds(500)));
    }
}
