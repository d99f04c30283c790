using Flowmesh.Gossip.Membership;

namespace Flowmesh.Gossip.Tests.Membership;

public sealed class MessageCodecTests
{
    private static readonly NodeId A = new("pc-a"), B = new("pc-b"), Unicode = new("büro-ß-πc");
    private static readonly GossipAddress Addr = new("10.0.0.5:7946");

    public static TheoryData<GossipMessage> Messages() =>
    [
        new Ping(1, A, B), new Ack(uint.MaxValue, B), new PingRequest(7, A, Addr, B), new Nack(9, A),
        new Alive(Unicode, 3, Addr), new Suspect(A, 4, B), new Dead(A, 5, Unicode), new Leave(B, 6),
        new PushPull(A, true, [new PushPullEntry(A, Addr, 1, MemberState.Alive), new PushPullEntry(B, new GossipAddress("x"), 2, MemberState.Left)]),
        new PushPull(B, false, []),
    ];

    [Theory]
    [MemberData(nameof(Messages))]
    public void EveryMessageRoundTrips(GossipMessage message)
    {
        var decoded = Decode(MessageCodec.EncodePacket(message));
        var single = Assert.Single(decoded);
        if (message is PushPull pp)
        {
            var back = Assert.IsType<PushPull>(single);
            Assert.Equal((pp.Source, pp.IsReply), (back.Source, back.IsReply));
            Assert.Equal(pp.Entries, back.Entries);
        }
        else Assert.Equal(message, single);
    }

    [Fact]
    public void PiggybackedPacketKeepsOrder()
    {
        GossipMessage[] messages = [new Ping(1, A, B), new Alive(A, 1, Addr), new Suspect(B, 2, A), new Leave(A, 3)];
        Assert.Equal(messages, Decode(MessageCodec.EncodePacket(messages)));
    }

    [Fact]
    public void EncodingIsCompact()
    {
        // version + count + type + seq + 2 × (len + 4 bytes): 1 + 1 + 1 + 4 + 5 + 5.
        Assert.Equal(17, MessageCodec.EncodePacket(new Ping(1, A, B)).Length);
    }

    [Fact]
    public void EveryTruncationIsRejectedWithoutThrowing()
    {
        var packet = MessageCodec.EncodePacket(new Ping(1, A, B), new Alive(Unicode, 3, Addr),
            new PushPull(A, false, [new PushPullEntry(B, Addr, 2, MemberState.Suspect)]));
        Assert.NotEmpty(Decode(packet));
        for (var n = 0; n < packet.Length; n++)
        {
            var into = new List<GossipMessage>();
            Assert.False(MessageCodec.TryDecodePacket(packet.AsSpan(0, n), into, out var error));
            Assert.NotNull(error);
            Assert.Empty(into);
        }
    }

    [Fact]
    public void TrailingBytesAndBadHeadersAreRejected()
    {
        var packet = MessageCodec.EncodePacket(new Ack(1, A));
        Assert.False(MessageCodec.TryDecodePacket([.. packet, 0], [], out _));
        var wrongVersion = (byte[])packet.Clone(); wrongVersion[0] = 1; // version 1: agents from before signed claims
        Assert.False(MessageCodec.TryDecodePacket(wrongVersion, [], out _));
        var zeroCount = (byte[])packet.Clone(); zeroCount[1] = 0;
        Assert.False(MessageCodec.TryDecodePacket(zeroCount, [], out _));
        var badType = (byte[])packet.Clone(); badType[2] = 200;
        Assert.False(MessageCodec.TryDecodePacket(badType, [], out _));
    }

    [Fact]
    public void HostileFieldsAreRejected()
    {
        var alive = MessageCodec.EncodePacket(new Alive(A, 1, Addr));
        var zeroLengthId = (byte[])alive.Clone(); zeroLengthId[3] = 0;
        Assert.False(MessageCodec.TryDecodePacket(zeroLengthId, [], out _));
        var overlongId = (byte[])alive.Clone(); overlongId[3] = NodeId.MaxLength + 1;
        Assert.False(MessageCodec.TryDecodePacket(overlongId, [], out _));
        var badUtf8 = (byte[])alive.Clone(); badUtf8[4] = 0xFF;
        Assert.False(MessageCodec.TryDecodePacket(badUtf8, [], out _));

        // A push-pull that claims 65535 members in a few bytes must not allocate for them.
        var pp = MessageCodec.EncodePacket(new PushPull(A, false, []));
        pp[^2] = 0xFF; pp[^1] = 0xFF;
        Assert.False(MessageCodec.TryDecodePacket(pp, [], out _));
        var badState = MessageCodec.EncodePacket(new PushPull(A, false, [new PushPullEntry(B, Addr, 1, MemberState.Alive)]));
        badState[^1] = 9;
        Assert.False(MessageCodec.TryDecodePacket(badState, [], out _));
        var badFlag = MessageCodec.EncodePacket(new PushPull(A, false, []));
        badFlag[3 + 1 + A.Value.Length] = 2;
        Assert.False(MessageCodec.TryDecodePacket(badFlag, [], out _));
    }

    [Fact]
    public void OversizedInputIsRejectedUnread()
    {
        var huge = new byte[MessageCodec.MaxPacketBytes + 1];
        huge[0] = MessageCodec.Version; huge[1] = 1;
        Assert.False(MessageCodec.TryDecodePacket(huge, [], out var error));
        Assert.Equal("oversized packet", error);
    }

    [Fact]
    public void RandomGarbageNeverThrows()
    {
        var random = new Random(42);
        var accepted = 0;
        for (var i = 0; i < 20_000; i++)
        {
            var bytes = new byte[random.Next(0, 200)];
            random.NextBytes(bytes);
            if (i % 2 == 0 && bytes.Length > 2) { bytes[0] = MessageCodec.Version; bytes[1] = (byte)random.Next(1, 4); }
            if (MessageCodec.TryDecodePacket(bytes, [], out _)) accepted++;
        }
        // Random bytes essentially never form a valid packet; if many do, the decoder checks too little.
        Assert.True(accepted < 20, $"{accepted} random packets accepted");
    }

    [Fact]
    public void MutatedValidPacketsNeverThrow()
    {
        var random = new Random(7);
        var packet = MessageCodec.EncodePacket(new Ping(1, A, B), new Suspect(Unicode, 2, A), new PingRequest(3, B, Addr, A));
        for (var i = 0; i < 20_000; i++)
        {
            var copy = (byte[])packet.Clone();
            for (var k = random.Next(1, 4); k > 0; k--) copy[random.Next(copy.Length)] = (byte)random.Next(256);
            MessageCodec.TryDecodePacket(copy, [], out _);
        }
    }

    [Fact]
    public void MalformedPacketIsCountedByTheNode()
    {
        var sim = new Simulator(new SimulatorOptions(), MembershipOptions.Lan());
        var node = sim.AddNode("n1");
        node.HandlePacket(new GossipAddress("evil"), [1, 1, 200]);
        Assert.Equal(1, node.Counters.MalformedPackets);
    }

    /// <summary>Names --name refuses: terminal escapes, newlines that forge log lines, spaces, a right-to-left
    /// override and a zero-width space (names that look like others), a lone surrogate's replacement.</summary>
    public static TheoryData<string> HostileNames() => ["\u001b[2J\u001b[31mpc", "pc\nflowmesh: forged log line", "pc\r", "pc a", "\tpc", "pc\u202egnp", "p\u200bc", "pc\u0000", "pc\u0085"];

    [Theory]
    [MemberData(nameof(HostileNames))]
    public void Names_with_control_whitespace_or_invisible_characters_from_the_network_are_refused(string name)
    {
        Assert.False(NodeId.IsValidName(name));
        var hostile = new NodeId(name); // the type itself only bounds the length; the codec enforces --name's rules
        foreach (GossipMessage message in new GossipMessage[]
        {
            new Alive(hostile, 1, Addr), new Ping(1, A, hostile), new Suspect(hostile, 1, A), new Dead(A, 1, hostile),
            new PushPull(A, false, [new PushPullEntry(hostile, Addr, 1, MemberState.Alive)]),
        })
        {
            Assert.False(MessageCodec.TryDecodePacket(MessageCodec.EncodePacket(message), [], out _), $"{message.GetType().Name} with {name.Length}-character hostile name decoded");
        }
        // An address is printed as well: the same characters are refused there.
        Assert.False(MessageCodec.TryDecodePacket(MessageCodec.EncodePacket(new Alive(A, 1, new GossipAddress("10.0.0.5:7946" + name))), [], out _));
        // Ordinary names, including non-ASCII letters, still decode.
        Assert.Single(Decode(MessageCodec.EncodePacket(new Alive(Unicode, 1, Addr))));
    }

    [Fact]
    public void A_membership_node_counts_a_packet_with_a_hostile_name_as_malformed_and_keeps_it_out_of_its_members()
    {
        var (sim, _) = SimulatedCluster.Converged(2, seed: 4);
        var node = sim.Nodes.First();
        var before = node.Counters.MalformedPackets;
        node.HandlePacket(new GossipAddress("10.0.0.9:7946"), MessageCodec.EncodePacket(new Alive(new NodeId("evil\u001b[31m"), 1, new GossipAddress("10.0.0.9:7946"))));
        Assert.Equal(before + 1, node.Counters.MalformedPackets);
        Assert.DoesNotContain(node.Members, m => m.Id.Value.StartsWith("evil", StringComparison.Ordinal));
    }

    private static List<GossipMessage> Decode(byte[] packet)
    {
        var list = new List<GossipMessage>();
        Assert.True(MessageCodec.TryDecodePacket(packet, list, out var error), error);
        return list;
    }
}
