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

    public PacketSealer(Keyring keyring, NodeId sender, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(keyring);
        _keyring = keyring;
        _sender = Encoding.UTF8.GetBytes(sender.Value);
        _clock = clock ?? TimeProvider.System;
    }

    /// <summary>Bytes a sealed packet adds to its payload for this sender.</summary>
    public int Overhead => SealedPacketLayout.Overhead(_sender.Length);

    public byte[] Seal(ReadOnlySpan<byte> payload)
    {
        var nowMs = _clock.GetUtcNow().ToUnixTimeMilliseconds();
        var sequence = NextSequence(nowMs);
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
    /// Sequence numbers start at the wall clock in microseconds and then only increase, so a restarted node
    /// continues above what receivers remember of it without persisting a counter.
    /// </summary>
    private ulong NextSequence(long nowMs)
    {
        lock (_sequenceLock)
        {
            var clockBased = (ulong)Math.Max(0, nowMs) * 1000;
            _lastSequence = Math.Max(_lastSequence + 1, clockBased);
            return _lastSequence;
        }
    }
}
