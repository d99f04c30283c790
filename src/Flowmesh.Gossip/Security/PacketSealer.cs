using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Flowmesh.Gossip.Security;

/// <summary>
/// Seals outgoing gossip payloads with the keyring's primary key (layout in <see cref="SealedPacketLayout"/>).
/// Each packet gets a fresh random nonce (96 random bits: collision odds stay negligible far beyond the packet
/// counts a node sends under one key) and the next sequence number of this sender. With a credential
/// (<see cref="NodeCredential"/>) each packet is also signed by the node's own key (layout version 2), so receivers
/// know which node sealed it and not only that some key holder did. Thread-safe.
/// </summary>
public sealed class PacketSealer
{
    private readonly Keyring _keyring;
    private readonly byte[] _sender;
    private readonly TimeProvider _clock;
    private readonly object _sequenceLock = new();
    private ulong _lastSequence;
    private readonly NodeCredential? _signer;

    /// <param name="firstSequence">
    /// Where this life's sequence numbers start. An agent passes a number reserved in its database
    /// (<see cref="SequenceReservation"/>), so a restart continues above its previous life even when the clock went
    /// back meanwhile; without it they start at the wall clock in microseconds, as before.
    /// </param>
    /// <param name="signer">This node's key and credential: packets are signed (version 2). It must be for <paramref name="sender"/>.</param>
    public PacketSealer(Keyring keyring, NodeId sender, TimeProvider? clock = null, ulong? firstSequence = null, NodeCredential? signer = null)
    {
        ArgumentNullException.ThrowIfNull(keyring);
        if (signer is not null && signer.Node != sender) throw new ArgumentException("the credential is for another node", nameof(signer));
        if (signer is not null && signer.Credential.Length > SealedPacketLayout.MaxCredentialLength)
            throw new ArgumentException($"a credential is at most {SealedPacketLayout.MaxCredentialLength} bytes", nameof(signer));
        _signer = signer;
        _keyring = keyring;
        _sender = Encoding.UTF8.GetBytes(sender.Value);
        _clock = clock ?? TimeProvider.System;
        _lastSequence = (firstSequence ?? SequenceReservation.ClockStart(_clock.GetUtcNow())) - 1;
    }

    /// <summary>Bytes a sealed packet adds to its payload for this sender.</summary>
    public int Overhead => _signer is null
        ? SealedPacketLayout.Overhead(_sender.Length)
        : SealedPacketLayout.SignedOverhead(_sender.Length, _signer.Credential.Length);

    public byte[] Seal(ReadOnlySpan<byte> payload)
    {
        var nowMs = _clock.GetUtcNow().ToUnixTimeMilliseconds();
        var sequence = NextSequence();
        var key = _keyring.Primary;

        var headerLength = SealedPacketLayout.FixedHeaderLength + _sender.Length;
        var proofLength = _signer is null ? 0
            : SealedPacketLayout.CredentialLengthLength + _signer.Credential.Length + SigningAlgorithm.SignatureLength;
        var plaintextLength = SealedPacketLayout.PlaintextHeaderLength + proofLength + payload.Length;
        var packet = new byte[headerLength + SealedPacketLayout.NonceLength + plaintextLength + SealedPacketLayout.TagLength];

        packet[0] = _signer is null ? SealedPacketLayout.Version : SealedPacketLayout.SignedVersion;
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(1), key.Id);
        packet[5] = (byte)_sender.Length;
        _sender.CopyTo(packet.AsSpan(SealedPacketLayout.FixedHeaderLength));

        var nonce = packet.AsSpan(headerLength, SealedPacketLayout.NonceLength);
        RandomNumberGenerator.Fill(nonce);

        var plaintext = new byte[plaintextLength];
        BinaryPrimitives.WriteInt64BigEndian(plaintext, nowMs);
        BinaryPrimitives.WriteUInt64BigEndian(plaintext.AsSpan(SealedPacketLayout.TimestampLength), sequence);
        var payloadAt = SealedPacketLayout.PlaintextHeaderLength + proofLength;
        payload.CopyTo(plaintext.AsSpan(payloadAt));
        if (_signer is not null)
        {
            var credentialAt = SealedPacketLayout.PlaintextHeaderLength + SealedPacketLayout.CredentialLengthLength;
            BinaryPrimitives.WriteUInt16BigEndian(plaintext.AsSpan(SealedPacketLayout.PlaintextHeaderLength), (ushort)_signer.Credential.Length);
            _signer.Credential.CopyTo(plaintext, credentialAt);
            var signedEnd = credentialAt + _signer.Credential.Length;
            var hash = SignedPacketHash(packet.AsSpan(0, headerLength), plaintext.AsSpan(0, signedEnd), payload);
            _signer.Identity.SignHash(hash).CopyTo(plaintext, signedEnd);
        }

        var ciphertext = packet.AsSpan(headerLength + SealedPacketLayout.NonceLength, plaintextLength);
        var tag = packet.AsSpan(packet.Length - SealedPacketLayout.TagLength);
        using var cipher = key.CreateCipher();
        cipher.Encrypt(nonce, plaintext, ciphertext, tag, packet.AsSpan(0, headerLength));
        CryptographicOperations.ZeroMemory(plaintext);
        return packet;
    }

    /// <summary>What a version 2 packet's signature covers (<see cref="SealedPacketLayout"/>): everything but the signature.</summary>
    internal static byte[] SignedPacketHash(ReadOnlySpan<byte> header, ReadOnlySpan<byte> beforeSignature, ReadOnlySpan<byte> payload)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(SealedPacketLayout.SignatureDomain);
        hash.AppendData(header);
        hash.AppendData(beforeSignature);
        hash.AppendData(payload);
        return hash.GetHashAndReset();
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
