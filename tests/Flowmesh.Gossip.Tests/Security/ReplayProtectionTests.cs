using System.Buffers.Binary;
using Flowmesh.Gossip.Security;

namespace Flowmesh.Gossip.Tests.Security;

// Alone: Memory_stays_bounded_under_a_flood_of_distinct_senders measures the whole process's heap.
[Collection(RunsAloneCollection.Name)]
public sealed class ReplayProtectionTests
{
    private static readonly NodeId A = new("node-a");
    private readonly ManualClock _clock = new(TestKeys.Epoch);
    private readonly ClusterKey _key = TestKeys.Key(1);

    [Fact]
    public void The_same_packet_twice_is_a_replay()
    {
        var packet = new PacketSealer(new Keyring(_key), A, _clock).Seal("x"u8);
        var opener = new PacketOpener(new Keyring(_key), clock: _clock);
        Assert.NotNull(opener.Open(packet));
        Assert.False(opener.TryOpen(packet, out _, out var reason));
        Assert.Equal(GossipDropReason.Replayed, reason);
        Assert.Equal(1, opener.Drops.Replayed);
    }

    [Fact]
    public void A_first_packet_outside_the_window_is_too_old_and_inside_is_accepted()
    {
        var senderClock = new ManualClock(TestKeys.Epoch);
        var sealer = new PacketSealer(new Keyring(_key), A, senderClock);
        var opener = new PacketOpener(new Keyring(_key), new SealedPacketOptions { ReplayWindow = TimeSpan.FromSeconds(60) }, _clock);

        var atEdge = sealer.Seal("edge"u8);
        senderClock.Advance(TimeSpan.FromMilliseconds(1));
        var justInside = sealer.Seal("inside"u8);
        _clock.Advance(TimeSpan.FromSeconds(60) + TimeSpan.FromMilliseconds(1));
        Assert.False(opener.TryOpen(atEdge, out _, out var reason));
        Assert.Equal(GossipDropReason.TooOld, reason);
        Assert.NotNull(opener.Open(justInside));

        // A first packet from a sender whose clock is too far ahead is outside the window as well.
        var other = new PacketSealer(new Keyring(_key), new NodeId("node-b"), new ManualClock(_clock.Now + TimeSpan.FromSeconds(61)));
        Assert.False(opener.TryOpen(other.Seal("future"u8), out _, out reason));
        Assert.Equal(GossipDropReason.TooOld, reason);
        Assert.Equal(2, opener.Drops.TooOld);
    }

    /// <summary>Issue 15: a PC whose clock is an hour off was cut off by the old 60 s window (on 7ba1865 both fail).</summary>
    [Theory]
    [InlineData(+1)]
    [InlineData(-1)]
    public void A_sender_an_hour_off_is_accepted_from_its_first_packet(int hours)
    {
        var sealer = new PacketSealer(new Keyring(_key), A, new ManualClock(_clock.Now + TimeSpan.FromHours(hours)));
        var opener = new PacketOpener(new Keyring(_key), clock: _clock);
        for (var i = 0; i < 10; i++) Assert.NotNull(opener.Open(sealer.Seal("x"u8)));
        Assert.Equal(0, opener.Drops.Total);
    }

    /// <summary>A known sender is judged by its sequence numbers only: its clock may jump by days either way, mid-stream,
    /// and nothing is dropped; what it sent before the jump still cannot be replayed.</summary>
    [Theory]
    [InlineData(8 * 24)]
    [InlineData(-8 * 24)]
    [InlineData(-1)]
    public void A_known_sender_whose_clock_jumps_stays_fresh_and_its_old_packets_stay_replays(int hours)
    {
        var senderClock = new ManualClock(TestKeys.Epoch);
        var sealer = new PacketSealer(new Keyring(_key), A, senderClock);
        var opener = new PacketOpener(new Keyring(_key), clock: _clock);
        var before = Enumerable.Range(0, 20).Select(_ => sealer.Seal("before"u8)).ToArray();
        foreach (var p in before) Assert.NotNull(opener.Open(p));
        senderClock.Advance(TimeSpan.FromHours(hours));
        for (var i = 0; i < 20; i++)
        {
            _clock.Advance(TimeSpan.FromMilliseconds(10));
            senderClock.Advance(TimeSpan.FromMilliseconds(10));
            Assert.NotNull(opener.Open(sealer.Seal("after"u8)));
        }
        foreach (var p in before) Assert.Null(opener.Open(p));
        Assert.Equal(before.Length, opener.Drops.Replayed);
        Assert.Equal(0, opener.Drops.TooOld);
    }

    /// <summary>
    /// A node restarted with its clock an hour behind its previous life: clock-based sequence numbers would be an hour
    /// behind what its peers remember (refused as replays for an hour); the reserved block continues above them.
    /// </summary>
    [Fact]
    public void A_sender_restarted_with_its_clock_an_hour_back_continues_above_its_previous_life_with_a_reservation()
    {
        var senderClock = new ManualClock(TestKeys.Epoch);
        var opener = new PacketOpener(new Keyring(_key), clock: _clock);
        var (first, floor) = SequenceReservation.Reserve(null, senderClock.Now);
        var before = new PacketSealer(new Keyring(_key), A, senderClock, first);
        for (var i = 0; i < 10; i++) Assert.NotNull(opener.Open(before.Seal("x"u8)));

        senderClock.Advance(TimeSpan.FromHours(-1));
        var unreserved = new PacketSealer(new Keyring(_key), A, senderClock);
        Assert.False(opener.TryOpen(unreserved.Seal("clock-based"u8), out _, out var reason));
        Assert.Equal(GossipDropReason.Replayed, reason);

        var (next, _) = SequenceReservation.Reserve(floor, senderClock.Now);
        Assert.Equal(floor, next);
        var restarted = new PacketSealer(new Keyring(_key), A, senderClock, next);
        for (var i = 0; i < 10; i++) Assert.NotNull(opener.Open(restarted.Seal("after restart"u8)));
    }

    [Fact]
    public void A_reservation_starts_at_the_clock_when_that_is_higher_and_never_below_the_saved_floor()
    {
        var now = TestKeys.Epoch;
        var clockStart = SequenceReservation.ClockStart(now);
        Assert.Equal((ulong)now.ToUnixTimeMilliseconds() * 1000, clockStart);
        Assert.Equal((clockStart, clockStart + SequenceReservation.BlockSize), SequenceReservation.Reserve(null, now));
        Assert.Equal((clockStart, clockStart + SequenceReservation.BlockSize), SequenceReservation.Reserve(clockStart - 5, now));
        var saved = clockStart + 123;
        Assert.Equal((saved, saved + SequenceReservation.BlockSize), SequenceReservation.Reserve(saved, now - TimeSpan.FromDays(8)));
        Assert.Throws<InvalidOperationException>(() => SequenceReservation.Reserve(ulong.MaxValue - 5, now));
    }

    /// <summary>A key holder's hostile timestamps (far past, far future, beyond what a date holds) are counted drops or
    /// plain sequence checks, never an exception on the receive thread.</summary>
    [Theory]
    [InlineData(long.MaxValue)]
    [InlineData(long.MinValue)]
    [InlineData(-1L)]
    [InlineData(253_402_300_800_000L)] // 10000-01-01: one millisecond past DateTimeOffset.MaxValue
    public void Hostile_timestamps_from_a_known_sender_are_dropped_not_thrown(long timestampMs)
    {
        var opener = new PacketOpener(new Keyring(_key), clock: _clock);
        var sealer = new PacketSealer(new Keyring(_key), A, _clock);
        Assert.NotNull(opener.Open(sealer.Seal("known"u8)));
        var hostile = SealWithTimestamp(timestampMs, Sequence(sealer.Seal("x"u8)) + 1);
        var opened = opener.TryOpen(hostile, out _, out var reason);
        if (!opened) Assert.Equal(GossipDropReason.TooOld, reason);
        else Assert.True(timestampMs == -1, "only a timestamp a date can hold is accepted");
        // Unknown sender: refused at first contact whatever the value.
        var fresh = new PacketOpener(new Keyring(_key), clock: _clock);
        Assert.False(fresh.TryOpen(hostile, out _, out reason));
        Assert.Equal(GossipDropReason.TooOld, reason);
    }

    /// <summary>Seals like <see cref="PacketSealer"/> but with any timestamp and sequence (what a hostile key holder can send).</summary>
    private byte[] SealWithTimestamp(long timestampMs, ulong sequence)
    {
        var sender = System.Text.Encoding.UTF8.GetBytes(A.Value);
        var headerLength = SealedPacketLayout.FixedHeaderLength + sender.Length;
        var plaintext = new byte[SealedPacketLayout.PlaintextHeaderLength + 1];
        BinaryPrimitives.WriteInt64BigEndian(plaintext, timestampMs);
        BinaryPrimitives.WriteUInt64BigEndian(plaintext.AsSpan(SealedPacketLayout.TimestampLength), sequence);
        var packet = new byte[headerLength + SealedPacketLayout.NonceLength + plaintext.Length + SealedPacketLayout.TagLength];
        packet[0] = SealedPacketLayout.Version;
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(1), _key.Id);
        packet[5] = (byte)sender.Length;
        sender.CopyTo(packet.AsSpan(SealedPacketLayout.FixedHeaderLength));
        var nonce = packet.AsSpan(headerLength, SealedPacketLayout.NonceLength);
        System.Security.Cryptography.RandomNumberGenerator.Fill(nonce);
        using var cipher = _key.CreateCipher();
        cipher.Encrypt(nonce, plaintext, packet.AsSpan(headerLength + SealedPacketLayout.NonceLength, plaintext.Length),
            packet.AsSpan(packet.Length - SealedPacketLayout.TagLength), packet.AsSpan(0, headerLength));
        return packet;
    }

    [Fact]
    public void Reordered_packets_are_accepted_once_each()
    {
        var sealer = new PacketSealer(new Keyring(_key), A, _clock);
        var packets = Enumerable.Range(0, 100).Select(i => sealer.Seal([(byte)i])).ToArray();
        var order = Enumerable.Range(0, 100).ToArray();
        new Random(42).Shuffle(order);
        var opener = new PacketOpener(new Keyring(_key), clock: _clock);
        foreach (var i in order) Assert.Equal((byte)i, opener.Open(packets[i])!.Payload[0]);
        foreach (var i in order) Assert.Null(opener.Open(packets[i]));
        Assert.Equal(100, opener.Drops.Replayed);
    }

    [Fact]
    public void Sequence_reuse_with_a_new_nonce_and_timestamp_is_a_replay()
    {
        // Two senders sharing one NodeId (a cloned VM, or a restarted node whose clock went back) produce the
        // same sequence number in freshly sealed packets: the second must be refused even though its bytes differ.
        var senderClock = new ManualClock(TestKeys.Epoch);
        var first = new PacketSealer(new Keyring(_key), A, senderClock).Seal("first"u8);
        var clone = new PacketSealer(new Keyring(_key), A, senderClock).Seal("clone"u8);
        Assert.Equal(Sequence(first), Sequence(clone));
        Assert.NotEqual(first, clone);
        var opener = new PacketOpener(new Keyring(_key), clock: _clock);
        Assert.NotNull(opener.Open(first));
        Assert.False(opener.TryOpen(clone, out _, out var reason));
        Assert.Equal(GossipDropReason.Replayed, reason);
    }

    [Fact]
    public void A_sequence_more_than_the_reorder_window_behind_the_newest_is_refused()
    {
        var senderClock = new ManualClock(TestKeys.Epoch);
        var sealer = new PacketSealer(new Keyring(_key), A, senderClock);
        var old = sealer.Seal("old"u8);
        senderClock.Advance(TimeSpan.FromSeconds(5) + TimeSpan.FromMilliseconds(1)); // past the 5 s reorder window, inside the 60 s window
        var newest = sealer.Seal("new"u8);
        _clock.Now = senderClock.Now;
        var opener = new PacketOpener(new Keyring(_key), clock: _clock);
        Assert.NotNull(opener.Open(newest));
        Assert.False(opener.TryOpen(old, out _, out var reason));
        Assert.Equal(GossipDropReason.Replayed, reason);
    }

    [Fact]
    public void A_packet_behind_every_remembered_sequence_is_refused_and_forgotten_ones_cannot_be_replayed()
    {
        var sealer = new PacketSealer(new Keyring(_key), A, _clock);
        var packets = Enumerable.Range(0, 301).Select(_ => sealer.Seal("x"u8)).ToArray();
        var opener = new PacketOpener(new Keyring(_key), clock: _clock);
        for (var i = 1; i <= 300; i++) Assert.NotNull(opener.Open(packets[i]));
        // packets[0] was never accepted, but 300 newer ones were (more than the 256 remembered): refused.
        Assert.False(opener.TryOpen(packets[0], out _, out var reason));
        Assert.Equal(GossipDropReason.Replayed, reason);
        // Every accepted one, remembered or forgotten, is refused a second time.
        for (var i = 1; i <= 300; i++) Assert.Null(opener.Open(packets[i]));
        Assert.Equal(301, opener.Drops.Replayed);
    }

    /// <summary>
    /// A link that delays each packet by a random 0..<c>maxDelay</c> (as a busy switch, Wi-Fi retransmissions or a
    /// slow stream connect do) and delivers them in arrival order, on the manual clocks of sender and receiver.
    /// </summary>
    [Theory]
    [InlineData(10)]
    [InlineData(50)]
    [InlineData(80)]
    public void Reordering_by_tens_of_milliseconds_is_never_taken_for_a_replay(int maxDelayMs)
    {
        var senderClock = new ManualClock(TestKeys.Epoch);
        var sealer = new PacketSealer(new Keyring(_key), A, senderClock);
        var random = new Random(maxDelayMs);
        var inFlight = new List<(TimeSpan Arrival, int Index, byte[] Packet)>();
        const int count = 2000;
        for (var i = 0; i < count; i++)
        {
            // A gossip burst: packets 0..3 ms apart (several within one millisecond, too).
            senderClock.Advance(TimeSpan.FromMilliseconds(random.Next(0, 4)));
            var packet = sealer.Seal(BitConverter.GetBytes(i));
            inFlight.Add((senderClock.Now - TestKeys.Epoch + TimeSpan.FromMilliseconds(random.NextDouble() * maxDelayMs), i, packet));
        }
        var arrivals = inFlight.OrderBy(p => p.Arrival).ToList();
        var reordered = arrivals.Select((p, position) => p.Index != position).Count(x => x);
        Assert.True(reordered > count / 2, $"only {reordered} of {count} packets out of order");

        var opener = new PacketOpener(new Keyring(_key), clock: _clock);
        var delivered = new HashSet<int>();
        foreach (var (arrival, index, packet) in arrivals)
        {
            _clock.Now = TestKeys.Epoch + arrival;
            var opened = opener.Open(packet);
            Assert.True(opened is not null, $"packet {index} arriving at {arrival.TotalMilliseconds:0.0} ms was dropped as {(opener.Drops.Replayed > 0 ? "replayed" : "other")}");
            delivered.Add(BitConverter.ToInt32(opened!.Payload));
        }
        Assert.Equal(0, opener.Drops.Replayed);
        Assert.Equal(count, delivered.Count);
        // The same reordered stream again: every packet is a replay.
        foreach (var (_, _, packet) in arrivals) Assert.Null(opener.Open(packet));
        Assert.Equal(count, opener.Drops.Replayed);
    }

    [Fact]
    public void A_restarted_sender_continues_above_its_old_sequence()
    {
        var senderClock = new ManualClock(TestKeys.Epoch);
        var opener = new PacketOpener(new Keyring(_key), clock: _clock);
        var before = new PacketSealer(new Keyring(_key), A, senderClock);
        for (var i = 0; i < 10; i++) Assert.NotNull(opener.Open(before.Seal("x"u8)));
        senderClock.Advance(TimeSpan.FromMilliseconds(5));
        var restarted = new PacketSealer(new Keyring(_key), A, senderClock);
        Assert.NotNull(opener.Open(restarted.Seal("after restart"u8)));
    }

    [Fact]
    public void A_flood_of_distinct_senders_keeps_the_tracker_bounded_and_forgotten_senders_cannot_be_replayed()
    {
        var options = new SealedPacketOptions { MaxTrackedSenders = 64 };
        var opener = new PacketOpener(new Keyring(_key), options, _clock);
        var firstSenderPacket = new PacketSealer(new Keyring(_key), new NodeId("flood-0"), _clock).Seal("x"u8);
        Assert.NotNull(opener.Open(firstSenderPacket));
        for (var i = 1; i < 20_000; i++)
        {
            // Each new sender speaks a millisecond later than the last: a forgotten sender raises the floor to
            // its newest timestamp, and senders at or below the floor are refused (tested below).
            _clock.Advance(TimeSpan.FromMilliseconds(1));
            Assert.NotNull(opener.Open(new PacketSealer(new Keyring(_key), new NodeId($"flood-{i}"), _clock).Seal("x"u8)));
            Assert.True(opener.TrackedSenders <= 64);
        }
        Assert.Equal(64, opener.TrackedSenders);

        // flood-0 was forgotten long ago; its captured packet is still inside the time window but must not pass.
        Assert.False(opener.TryOpen(firstSenderPacket, out _, out var reason));
        Assert.Equal(GossipDropReason.TooOld, reason);
        // A forgotten sender that speaks again with a fresh timestamp is accepted.
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.NotNull(opener.Open(new PacketSealer(new Keyring(_key), new NodeId("flood-0"), _clock).Seal("x"u8)));
    }

    [Fact]
    public void Memory_stays_bounded_under_a_flood_of_distinct_senders()
    {
        var opener = new PacketOpener(new Keyring(_key), new SealedPacketOptions { MaxTrackedSenders = 256 }, _clock);
        var packets = Enumerable.Range(0, 30_000)
            .Select(i =>
            {
                _clock.Advance(TimeSpan.FromMilliseconds(1));
                return new PacketSealer(new Keyring(_key), new NodeId($"flood-{i}"), _clock).Seal("x"u8);
            }).ToArray();
        for (var i = 0; i < 5_000; i++) opener.Open(packets[i]);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var before = GC.GetTotalMemory(forceFullCollection: true);
        for (var i = 5_000; i < packets.Length; i++) Assert.NotNull(opener.Open(packets[i]));
        var after = GC.GetTotalMemory(forceFullCollection: true);
        Assert.Equal(256, opener.TrackedSenders);
        // 25 000 more senders at ~250 B each would be ~6 MB if tracked; the bound leaves only noise.
        Assert.True(after - before < 1_000_000, $"grew by {after - before} bytes");
    }

    /// <summary>The sequence number sealed inside a packet, read by an opener of its own.</summary>
    private ulong Sequence(byte[] packet) => new PacketOpener(new Keyring(_key), clock: _clock).Open(packet)!.Sequence;
}
