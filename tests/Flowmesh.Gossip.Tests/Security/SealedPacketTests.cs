using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Flowmesh.Gossip.Security;

namespace Flowmesh.Gossip.Tests.Security;

public sealed class SealedPacketTests
{
    private static readonly NodeId A = new("node-a");
    private readonly ManualClock _clock = new(TestKeys.Epoch);

    private PacketSealer Sealer(ClusterKey key, NodeId? sender = null) => new(new Keyring(key), sender ?? A, _clock);
    private PacketOpener Opener(ClusterKey key, SealedPacketOptions? options = null) => new(new Keyring(key), options, _clock);

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(1400)]
    [InlineData(60_000)]
    public void Round_trip_returns_payload_sender_and_time(int payloadLength)
    {
        var payload = new byte[payloadLength];
        new Random(payloadLength).NextBytes(payload);
        var packet = Sealer(TestKeys.Key(1)).Seal(payload);
        Assert.Equal(payloadLength + SealedPacketLayout.Overhead(Encoding.UTF8.GetByteCount(A.Value)), packet.Length);

        var opened = Opener(TestKeys.Key(1)).Open(packet);
        Assert.NotNull(opened);
        Assert.Equal(payload, opened.Payload);
        Assert.Equal(A, opened.Sender);
        Assert.Equal(TestKeys.Epoch, opened.SentAt);
    }

    [Fact]
    public void The_layout_matches_the_documentation_when_decrypted_independently()
    {
        var key = TestKeys.Key(7);
        var keyBytes = new byte[32];
        new Random(7).NextBytes(keyBytes);
        var packet = Sealer(key, new NodeId("ñode")).Seal("hello"u8);

        var sender = Encoding.UTF8.GetBytes("ñode");
        Assert.Equal(1, packet[0]);
        Assert.Equal(key.Id, BinaryPrimitives.ReadUInt32BigEndian(packet.AsSpan(1)));
        Assert.Equal(sender.Length, packet[5]);
        Assert.Equal(sender, packet.AsSpan(6, sender.Length).ToArray());

        var header = 6 + sender.Length;
        var nonce = packet.AsSpan(header, 12);
        var ciphertext = packet.AsSpan(header + 12, packet.Length - header - 12 - 16);
        var tag = packet.AsSpan(packet.Length - 16);
        var plaintext = new byte[ciphertext.Length];
        using (var aes = new AesGcm(keyBytes, 16))
            aes.Decrypt(nonce, ciphertext, tag, plaintext, packet.AsSpan(0, header));
        Assert.Equal(TestKeys.Epoch.ToUnixTimeMilliseconds(), BinaryPrimitives.ReadInt64BigEndian(plaintext));
        Assert.Equal("hello"u8.ToArray(), plaintext[16..]);
    }

    [Fact]
    public void Nonces_differ_between_packets()
    {
        var sealer = Sealer(TestKeys.Key(1));
        var nonces = Enumerable.Range(0, 200).Select(_ => Convert.ToHexString(sealer.Seal("x"u8).AsSpan(12, 12))).ToHashSet();
        Assert.Equal(200, nonces.Count);
    }

    [Fact]
    public void A_key_with_the_same_id_but_other_bytes_is_not_authenticated()
    {
        // Simulates an id collision: the opener finds a key under that id, but it is the wrong one.
        var packet = Sealer(TestKeys.Key(1)).Seal("payload"u8);
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(1), TestKeys.Key(2).Id);
        var opener = Opener(TestKeys.Key(2));
        Assert.False(opener.TryOpen(packet, out _, out var reason));
        Assert.Equal(GossipDropReason.NotAuthenticated, reason);
    }

    [Fact]
    public void A_packet_under_another_clusters_key_is_an_unknown_key()
    {
        var opener = Opener(TestKeys.Key(2));
        Assert.False(opener.TryOpen(Sealer(TestKeys.Key(1)).Seal("payload"u8), out var opened, out var reason));
        Assert.Null(opened);
        Assert.Equal(GossipDropReason.UnknownKey, reason);
        Assert.Equal(1, opener.Drops.UnknownKey);
    }

    [Fact]
    public void Every_single_bit_flip_is_dropped_and_counted()
    {
        var packet = Sealer(TestKeys.Key(1)).Seal("a small gossip message"u8);
        var opener = Opener(TestKeys.Key(1));
        for (var bit = 0; bit < packet.Length * 8; bit++)
        {
            var tampered = (byte[])packet.Clone();
            tampered[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.False(opener.TryOpen(tampered, out _, out var reason), $"bit {bit} flipped was accepted");
            var expected = (bit / 8) switch
            {
                0 => GossipDropReason.Malformed,
                >= 1 and <= 4 => GossipDropReason.UnknownKey,
                _ => reason, // the sender length byte may turn it into malformed or unauthenticated; checked below
            };
            Assert.Equal(expected, reason);
            if (bit / 8 > 5) Assert.Equal(GossipDropReason.NotAuthenticated, reason);
        }
        Assert.Equal(packet.Length * 8, opener.Drops.Total);
        Assert.NotNull(opener.Open(packet)); // the drops did not poison the replay state
    }

    [Fact]
    public void Truncation_at_every_length_is_dropped()
    {
        var packet = Sealer(TestKeys.Key(1)).Seal("a small gossip message"u8);
        var opener = Opener(TestKeys.Key(1));
        for (var length = 0; length < packet.Length; length++)
        {
            Assert.False(opener.TryOpen(packet.AsSpan(0, length), out _, out var reason), $"length {length} accepted");
            Assert.True(reason is GossipDropReason.Malformed or GossipDropReason.NotAuthenticated, $"length {length}: {reason}");
        }
        Assert.Equal(packet.Length, opener.Drops.Total);
        Assert.NotNull(opener.Open(packet));
    }

    [Fact]
    public void Random_bytes_never_throw_and_never_open()
    {
        var random = new Random(12345);
        var key = TestKeys.Key(1);
        var opener = Opener(key);
        for (var i = 0; i < 20_000; i++)
        {
            var junk = new byte[random.Next(0, 300)];
            random.NextBytes(junk);
            if (i % 2 == 0 && junk.Length > 6)
            {
                // Half with a plausible header so the decryption path is exercised too.
                junk[0] = SealedPacketLayout.Version;
                BinaryPrimitives.WriteUInt32BigEndian(junk.AsSpan(1), key.Id);
                junk[5] = (byte)random.Next(0, 70);
            }
            Assert.Null(opener.Open(junk));
        }
        Assert.Equal(20_000, opener.Drops.Total);
        Assert.True(opener.Drops.NotAuthenticated > 0);
        Assert.True(opener.Drops.Malformed > 0);
        Assert.True(opener.Drops.UnknownKey > 0);
        Assert.Equal(0, opener.TrackedSenders);
    }

    [Fact]
    public void Oversized_packets_are_refused_before_decryption()
    {
        var options = new SealedPacketOptions { MaxPacketLength = 1400 };
        var sealer = Sealer(TestKeys.Key(1));
        var opener = Opener(TestKeys.Key(1), options);
        var fits = sealer.Seal(new byte[1400 - sealer.Overhead]);
        var tooBig = sealer.Seal(new byte[1401 - sealer.Overhead]);
        Assert.NotNull(opener.Open(fits));
        Assert.False(opener.TryOpen(tooBig, out _, out var reason));
        Assert.Equal(GossipDropReason.Oversized, reason);
        Assert.False(opener.TryOpen(new byte[10_000_000], out _, out reason));
        Assert.Equal(GossipDropReason.Oversized, reason);
        Assert.Equal(2, opener.Drops.Oversized);
    }

    [Fact]
    public void Sender_id_is_authenticated_so_it_cannot_be_swapped()
    {
        var packet = Sealer(TestKeys.Key(1), new NodeId("node-a")).Seal("x"u8);
        var swapped = (byte[])packet.Clone();
        Encoding.UTF8.GetBytes("node-b").CopyTo(swapped, 6);
        var opener = Opener(TestKeys.Key(1));
        Assert.False(opener.TryOpen(swapped, out _, out var reason));
        Assert.Equal(GossipDropReason.NotAuthenticated, reason);
    }

    [Theory]
    [InlineData("node\u001b[31m")]
    [InlineData("node\nforged")]
    [InlineData("no de")]
    [InlineData("node\u202e")]
    public void A_sender_name_with_control_whitespace_or_invisible_characters_is_dropped_as_malformed(string sender)
    {
        var packet = Sealer(TestKeys.Key(1), new NodeId(sender)).Seal("payload"u8);
        var opener = Opener(TestKeys.Key(1));
        Assert.False(opener.TryOpen(packet, out _, out var reason));
        Assert.Equal(GossipDropReason.Malformed, reason);
        Assert.Equal(1, opener.Drops.Malformed);
    }
}
