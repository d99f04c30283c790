using Flowmesh.Gossip.Membership;
using Flowmesh.Gossip.Security;

namespace Flowmesh.Gossip.Tests.Membership;

/// <summary>Wire format version 2: proofs on Alive, Leave and push-pull entries; hostile input; what still fits a datagram.</summary>
public sealed class SignedClaimCodecTests(ITestOutputHelper output) : IDisposable
{
    private readonly NodeIdentity _identity = NodeIdentity.Generate();

    public void Dispose() => _identity.Dispose();

    private MembershipClaims Claims(string name) => MembershipClaims.FirstUse(new NodeId(name), _identity);

    [Fact]
    public void Signed_claims_round_trip_and_verify_after_decoding()
    {
        var claims = Claims("pc-042");
        var alive = claims.Sign(new Alive(new NodeId("pc-042"), 7, new GossipAddress("192.168.1.42:7946")));
        var leave = claims.Sign(new Leave(new NodeId("pc-042"), 8));
        var pushPull = new PushPull(new NodeId("pc-042"), false, [new PushPullEntry(alive.Node, alive.Address, 7, MemberState.Suspect, alive.Proof)]);
        var decoded = new List<GossipMessage>();
        Assert.True(MessageCodec.TryDecodePacket(MessageCodec.EncodePacket(alive, leave, pushPull), decoded, out var error), error);
        Assert.Equal(alive, decoded[0]);
        Assert.Equal(leave, decoded[1]);
        Assert.Equal(alive.Proof, ((PushPull)decoded[2]).Entries[0].Proof);

        var verifier = MembershipClaims.FirstUse(new NodeId("other"), NodeIdentity.Generate());
        Assert.Null(verifier.Check((Alive)decoded[0]));
        Assert.Null(verifier.Check((Leave)decoded[1]));
        // The signature covers node, incarnation and address: changing any one breaks it.
        Assert.Equal(MembershipRefusal.BadSignature, verifier.Check(alive with { Incarnation = 9 }));
        Assert.Equal(MembershipRefusal.BadSignature, verifier.Check(alive with { Address = new GossipAddress("10.0.0.66:7946") }));
        Assert.Equal(MembershipRefusal.UnsignedClaim, verifier.Check(alive with { Proof = null }));
    }

    [Fact]
    public void Truncated_and_random_signed_packets_are_refused_whole()
    {
        var claims = Claims("pc-042");
        var packet = MessageCodec.EncodePacket(claims.Sign(new Alive(new NodeId("pc-042"), 7, new GossipAddress("192.168.1.42:7946"))),
            claims.Sign(new Leave(new NodeId("pc-042"), 8)));
        var decoded = new List<GossipMessage>();
        for (var length = 0; length < packet.Length; length++)
            Assert.False(MessageCodec.TryDecodePacket(packet.AsSpan(0, length), decoded, out _));
        var random = new Random(16);
        for (var i = 0; i < 5000; i++)
        {
            var junk = (byte[])packet.Clone();
            junk[random.Next(junk.Length)] = (byte)random.Next(256);
            MessageCodec.TryDecodePacket(junk, decoded, out _); // must not throw; a flipped signature byte may decode
        }
        // A hostile credential length (65535) is refused before anything is allocated for it.
        decoded.Clear();
        var hostile = new byte[] { MessageCodec.Version, 1, 5, 1, (byte)'x', 0, 0, 0, 1, 1, (byte)'a', 0xFF, 0xFF };
        Assert.False(MessageCodec.TryDecodePacket(hostile, decoded, out _));
        Assert.Empty(decoded);
    }

    [Fact]
    public void Version_one_packets_are_refused_cleanly()
    {
        var packet = MessageCodec.EncodePacket(new Ping(1, new NodeId("a"), new NodeId("b")));
        packet[0] = 1;
        Assert.False(MessageCodec.TryDecodePacket(packet, [], out var error));
        Assert.Equal("unknown version 1", error);
    }

    /// <summary>The size growth docs/membership.md quotes: a typical name and IPv4 address, bare-key credentials.</summary>
    [Fact]
    public void Size_growth_and_how_many_claims_fit_one_datagram()
    {
        var node = new NodeId("pc-042");
        var address = new GossipAddress("192.168.1.42:7946");
        var unsigned = MessageCodec.Encode(new Alive(node, 7, address)).Length;
        var signed = MessageCodec.Encode(Claims("pc-042").Sign(new Alive(node, 7, address))).Length;
        var suspect = MessageCodec.Encode(new Suspect(node, 7, new NodeId("pc-043"))).Length;
        var budget = MembershipOptions.Lan().MaxPacketBytes - MessageCodec.PacketHeaderBytes - MessageCodec.Encode(new Ping(1, node, node)).Length;
        output.WriteLine($"alive unsigned {unsigned} B, signed {signed} B (+{signed - unsigned}); suspect {suspect} B; " +
            $"per ping datagram ({budget} B left): {budget / signed} signed alives or {budget / suspect} suspects; " +
            $"the old 1400 B budget held {(1400 - 2 - 15) / (unsigned - 3)} unsigned alives");
        Assert.Equal(unsigned + 155, signed); // 91-byte key + 64-byte signature (+3 bytes of lengths, already in unsigned)
        Assert.True(budget / signed >= 5, "a ping still carries a handful of signed Alive");
    }
}
