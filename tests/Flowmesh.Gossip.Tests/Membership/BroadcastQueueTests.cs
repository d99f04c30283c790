using Flowmesh.Gossip.Membership;

namespace Flowmesh.Gossip.Tests.Membership;

public sealed class BroadcastQueueTests
{
    private static byte[] Msg(string node, uint inc) => MessageCodec.Encode(new Alive(new NodeId(node), inc, new GossipAddress(node)));

    [Fact]
    public void EachItemIsSentExactlyTheRetransmitLimit()
    {
        var options = MembershipOptions.Lan();
        var q = new BroadcastQueue(options);
        q.Enqueue(new NodeId("a"), Msg("a", 1));
        var sends = 0;
        while (q.Take(1400, 255, 100).Count > 0) sends++;
        Assert.Equal(12, sends); // 4 · ceil(log10 101)
        Assert.Equal(0, q.Count);
        q.Enqueue(new NodeId("a"), Msg("a", 1));
        sends = 0;
        while (q.Take(1400, 255, 1000).Count > 0) sends++;
        Assert.Equal(16, sends);
    }

    [Fact]
    public void NewerMessageAboutSameNodeReplacesOlder()
    {
        var q = new BroadcastQueue(MembershipOptions.Lan());
        q.Enqueue(new NodeId("a"), Msg("a", 1));
        q.Enqueue(new NodeId("b"), Msg("b", 1));
        var newer = MessageCodec.Encode(new Suspect(new NodeId("a"), 2, new NodeId("b")));
        q.Enqueue(new NodeId("a"), newer);
        Assert.Equal(2, q.Count);
        var taken = q.Take(1400, 255, 10);
        Assert.Contains(newer, taken);
        Assert.DoesNotContain(taken, m => m.SequenceEqual(Msg("a", 1)));
    }

    [Fact]
    public void LeastSentFirstThenNewestAndByteBudgetRespected()
    {
        var q = new BroadcastQueue(MembershipOptions.Lan());
        q.Enqueue(new NodeId("old"), Msg("old", 1));
        q.Take(1400, 255, 100); // old sent once
        q.Enqueue(new NodeId("new1"), Msg("new1", 1));
        q.Enqueue(new NodeId("new2"), Msg("new2", 1));
        var first = q.Take(Msg("new2", 1).Length, 255, 100);
        Assert.Equal([Msg("new2", 1)], first);
        var next = q.Take(1400, 1, 100);
        Assert.Equal([Msg("new1", 1)], next);
    }

    [Fact]
    public void QueueIsBoundedDroppingTheMostSent()
    {
        var q = new BroadcastQueue(MembershipOptions.Lan() with { MaxQueuedBroadcasts = 3 });
        q.Enqueue(new NodeId("a"), Msg("a", 1));
        q.Take(1400, 255, 100);
        q.Enqueue(new NodeId("b"), Msg("b", 1));
        q.Enqueue(new NodeId("c"), Msg("c", 1));
        q.Enqueue(new NodeId("d"), Msg("d", 1));
        Assert.Equal(3, q.Count);
        Assert.Equal(1, q.Dropped);
        var all = q.Take(1400, 255, 100);
        Assert.DoesNotContain(all, m => m.SequenceEqual(Msg("a", 1)));
    }
}
