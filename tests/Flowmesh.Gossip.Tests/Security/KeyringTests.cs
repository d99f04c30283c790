using Flowmesh.Gossip.Security;

namespace Flowmesh.Gossip.Tests.Security;

public sealed class KeyringTests
{
    private static readonly NodeId A = new("node-a");

    [Fact]
    public void Rotation_install_use_remove_never_drops_a_packet_and_retires_the_old_key()
    {
        var clock = new ManualClock(TestKeys.Epoch);
        var oldKey = TestKeys.Key(1);
        var newKey = TestKeys.Key(2);
        var senderRing = new Keyring(oldKey);
        var receiverRing = new Keyring(oldKey);
        var sender = new PacketSealer(senderRing, A, clock);
        var receiver = new PacketOpener(receiverRing, clock: clock);

        // Step 1: install everywhere. The sender still seals with the old key.
        senderRing.Install(newKey);
        receiverRing.Install(newKey);
        var sealedWithOld = sender.Seal("one"u8);
        Assert.NotNull(receiver.Open(sealedWithOld));

        // Step 2: the sender switches first; the receiver (not yet switched) accepts both.
        senderRing.UsePrimary(newKey);
        var sealedWithNew = sender.Seal("two"u8);
        Assert.Equal("two"u8.ToArray(), receiver.Open(sealedWithNew)!.Payload);
        var lateOld = new PacketSealer(new Keyring(oldKey), new NodeId("node-late"), clock).Seal("three"u8);
        Assert.NotNull(receiver.Open(lateOld));

        // Step 3: remove the old key everywhere: packets under it are now unknown-key drops.
        receiverRing.UsePrimary(newKey);
        receiverRing.Remove(oldKey);
        var afterRemoval = new PacketSealer(new Keyring(oldKey), new NodeId("node-stale"), clock).Seal("four"u8);
        Assert.Null(receiver.Open(afterRemoval));
        Assert.Equal(1, receiver.Drops.UnknownKey);
        Assert.Equal(1, receiver.Drops.Total);
        Assert.NotNull(receiver.Open(sender.Seal("five"u8)));
    }

    [Fact]
    public void The_primary_cannot_be_removed_and_an_uninstalled_key_cannot_become_primary()
    {
        var ring = new Keyring(TestKeys.Key(1));
        Assert.Throws<InvalidOperationException>(() => ring.Remove(TestKeys.Key(1)));
        Assert.Throws<InvalidOperationException>(() => ring.UsePrimary(TestKeys.Key(2)));
    }

    [Fact]
    public void Keys_lists_primary_first_and_install_is_idempotent()
    {
        var ring = new Keyring(TestKeys.Key(1));
        ring.Install(TestKeys.Key(2));
        ring.Install(TestKeys.Key(2));
        Assert.Equal(2, ring.Keys.Count);
        ring.UsePrimary(TestKeys.Key(2));
        Assert.Equal(TestKeys.Key(2).Id, ring.Keys[0].Id);
        Assert.Equal(TestKeys.Key(2).Id, ring.Primary.Id);
        Assert.Equal(TestKeys.Key(1).Id, ring.Keys[1].Id);
    }

    [Fact]
    public void The_keyring_is_bounded()
    {
        var ring = new Keyring(TestKeys.Key(0));
        for (var i = 1; i < Keyring.MaxKeys; i++) ring.Install(TestKeys.Key(i));
        Assert.Throws<InvalidOperationException>(() => ring.Install(TestKeys.Key(999)));
    }
}
