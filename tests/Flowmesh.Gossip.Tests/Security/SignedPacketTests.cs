using Flowmesh.Gossip.Security;

namespace Flowmesh.Gossip.Tests.Security;

/// <summary>
/// Version 2 sealed packets (issue 16): signed by the sender's node key, so the replay guard (and the rate limiter
/// after it) key on a sender that proved its name. The attacker holds the cluster key and a node key of its own.
/// </summary>
public sealed class SignedPacketTests : IDisposable
{
    private static readonly NodeId X = new("node-x");
    private readonly ManualClock _clock = new(TestKeys.Epoch);
    private readonly Keyring _keyring = new(TestKeys.Key(16));
    private readonly NodeIdentity _x = NodeIdentity.Generate();
    private readonly NodeIdentity _mallory = NodeIdentity.Generate();

    public void Dispose()
    {
        _x.Dispose();
        _mallory.Dispose();
    }

    private PacketSealer Honest(ulong? first = null) =>
        new(_keyring, X, _clock, first, FirstUseCredentialVerifier.CredentialOf(X, _x));

    private PacketOpener Opener(FirstUseCredentialVerifier? verifier = null) =>
        new(_keyring, clock: _clock, signers: new VerifiedCredentials(verifier ?? new FirstUseCredentialVerifier()));

    [Fact]
    public void A_forged_packet_claiming_X_with_the_top_sequence_no_longer_makes_X_a_replayer()
    {
        var opener = Opener();
        var honest = Honest();
        Assert.NotNull(opener.Open(honest.Seal("hello"u8)));

        // Mallory's key, X's name, sequence 2^64-1: on the old layout this alone made every later packet of X a replay.
        var asX = new PacketSealer(_keyring, X, _clock, ulong.MaxValue, new NodeCredential(X, _mallory, _mallory.PublicKey));
        Assert.False(opener.TryOpen(asX.Seal("poison"u8), out _, out var reason));
        Assert.Equal(GossipDropReason.CredentialRefused, reason);
        Assert.Equal(1, opener.CredentialRefusals[CredentialRefusal.KeyMismatch]);

        // X's credential, Mallory's signature: the credential is fine, the signature is not X's.
        var stolen = new PacketSealer(_keyring, X, _clock, ulong.MaxValue - 1, new NodeCredential(X, _mallory, _x.PublicKey));
        Assert.False(opener.TryOpen(stolen.Seal("poison"u8), out _, out reason));
        Assert.Equal(GossipDropReason.BadSignature, reason);

        for (var i = 0; i < 10; i++) Assert.NotNull(opener.Open(honest.Seal("later"u8)));
        Assert.Equal(0, opener.Drops.Replayed);
    }

    [Fact]
    public void An_unbound_name_binds_to_the_first_valid_signature_only()
    {
        var verifier = new FirstUseCredentialVerifier();
        var opener = Opener(verifier);
        // A credential with a bad signature must not squat the name.
        var stolen = new PacketSealer(_keyring, X, _clock, 1, new NodeCredential(X, _mallory, _x.PublicKey));
        Assert.False(opener.TryOpen(stolen.Seal("x"u8), out _, out var reason));
        Assert.Equal(GossipDropReason.BadSignature, reason);
        Assert.Equal(0, verifier.BoundNodes);
        Assert.NotNull(opener.Open(Honest().Seal("x"u8)));
        Assert.Equal(1, verifier.BoundNodes);
    }

    [Fact]
    public void Unsigned_packets_from_older_agents_are_refused_cleanly()
    {
        var opener = Opener();
        var old = new PacketSealer(_keyring, X, _clock);
        Assert.False(opener.TryOpen(old.Seal("v1"u8), out _, out var reason));
        Assert.Equal(GossipDropReason.Unsigned, reason);
        // And an older agent's opener refuses ours as malformed (unknown version), counted, not thrown.
        var oldOpener = new PacketOpener(_keyring, clock: _clock);
        Assert.False(oldOpener.TryOpen(Honest().Seal("v2"u8), out _, out reason));
        Assert.Equal(GossipDropReason.Malformed, reason);
    }

    [Fact]
    public void Truncated_and_tampered_signed_packets_are_counted_drops()
    {
        var opener = Opener();
        var packet = Honest().Seal("payload"u8);
        for (var length = 0; length < packet.Length; length++)
            Assert.False(opener.TryOpen(packet.AsSpan(0, length), out _, out _));
        var random = new Random(16);
        for (var i = 0; i < 2000; i++)
        {
            var junk = new byte[random.Next(0, 400)];
            random.NextBytes(junk);
            if (junk.Length > 0) junk[0] = SealedPacketLayout.SignedVersion;
            Assert.False(opener.TryOpen(junk, out _, out _));
        }
        Assert.NotNull(opener.Open(packet));
    }

    [Fact]
    public void Overhead_is_what_the_signed_envelope_adds()
    {
        var sealer = Honest();
        var packet = sealer.Seal(new byte[100]);
        Assert.Equal(100 + sealer.Overhead, packet.Length);
        Assert.Equal(SealedPacketLayout.Overhead(X.Value.Length) + 2 + 91 + 64, sealer.Overhead);
    }
}
