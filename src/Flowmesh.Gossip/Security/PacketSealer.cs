using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Flowmesh.Gossip.Security;

/// <summary>
/// Seals outgoing gossip payloads with the keyring's primary key (layout in <see cref="SealedPacketLayout"/>).
/// Each packet gets a fresh random nonce (96 random bits: collision odds stay negligible far beyond the packet
/// counts a node sends under one key) and the next sequence number of this sender. Thread-safe.
/// </summary>
public sealed class PacketSealer
{
    private readonly Keyring _keyring;
    private readonly byte[] _sender;
    private readonly TimeProvider _clock;
    private readonly object _sequenceLock = new();
    private ulong _lastSequence;

    /// <param name="firstSequence">
    /// Where this life's sequence numbers start. An agent passes a number reserved in its database
    /// (<see cref="SequenceReservation"/>), so a restart continues above its previous life even when the clock went
    /// back meanwhile; without it they start at the wall clock in microseconds, as before.
    /// </param>
    public PacketSealer(Keyring keyring, NodeId sender, TimeProvider? clock = null, ulong? firstSequence = null)
    {
        ArgumentNullException.ThrowIfNull(keyring);
        _keyring = keyring;
        _sender = Encoding.UTF8.GetBytes(sender.Value);
        _clock = clock ?? TimeProvider.System;
        _lastSequence = (firstSequence ?? SequenceReservation.ClockStart(_clock.GetUtcNow())) - 1;
    }

    /// <summary>Bytes a sealed packet adds to its payload for this sender.</summary>
    public int Overhead => SealedPacketLayout.Overhead(_sender.Length);

    public byte[] Seal(ReadOnlySpan<byte> payload)
    {
        var nowMs = _clock.GetUtcNow().ToUnixTimeMilliseconds();
        var sequence = NextSequence();
        var key = _keyring.Primary;

        var headerLength = SealedPacketLayout.FixedHeaderLength + _sender.Length;
        var plaintextLength = SealedPacketLayout.PlaintextHeaderLength + payload.Length;
        var packet = new byte[headerLength + SealedPacketLayout.NonceLength + plaintextLength + SealedPacketLayout.TagLength];

        packet[0] = SealedPacketLayout.Version;
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(1), key.Id);
        packet[5] = (byte)_sender.Length;
        _sender.CopyTo(packet.AsSpan(SealedPacketLayout.FixedHeaderLength));

        var nonce = packet.AsSpan(headerLength, SealedPacketLayout.NonceLength);
        RandomNumberGenerator.Fill(nonce);

        var plaintext = new byte[plaintextLength];
        BinaryPrimitives.WriteInt64BigEndian(plaintext, nowMs);
        BinaryPrimitives.WriteUInt64BigEndian(plaintext.AsSpan(SealedPacketLayout.TimestampLength), sequence);
        payload.CopyTo(plaintext.AsSpan(SealedPacketLayout.PlaintextHeaderLength));

        var ciphertext = packet.AsSpan(headerLength + SealedPacketLayout.NonceLength, plaintextLength);
        var tag = packet.AsSpan(packet.Length - SealedPacketLayout.TagLength);
        using var cipher = key.CreateCipher();
        cipher.Encrypt(nonce, plaintext, ciphertext, tag, packet.AsSpan(0, headerLength));
        CryptographicOperations.ZeroMemory(plaintext);
        return packet;
    }

    /// <summary>
    /// Sequence numbers count up by one from where this life started and never follow the wall clock: a jump of the
    /// clock (either way) changes nothing for receivers, whose <see cref="ReplayGuard"/> judges a known sender by its
    /// sequence numbers alone.
    /// </summary>
    private ulong NextSequence()
    {
        lock (_sequenceLock) return ++_lastSequence;
    }
}
