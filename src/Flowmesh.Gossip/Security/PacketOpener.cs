using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Flowmesh.Gossip.Security;

/// <summary>
/// Opens sealed gossip packets: checks size and header, picks the key by id, verifies and decrypts, then
/// refuses stale and replayed packets. Any input is answered with a result or a counted drop reason; nothing
/// is thrown, because one hostile datagram must never take the receive loop down. With <see cref="VerifiedCredentials"/>
/// only signed packets (layout version 2) are accepted and the sender's signature is checked before the replay guard
/// runs, so replay state belongs to the node that proved its name, never to a name a key holder merely claimed
/// (issue 16: one forged packet claiming X with sequence 2^64-1 made all of X's later packets replays). Thread-safe.
/// </summary>
public sealed class PacketOpener
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static readonly long MinTimestampMs = DateTimeOffset.MinValue.ToUnixTimeMilliseconds();
    private static readonly long MaxTimestampMs = DateTimeOffset.MaxValue.ToUnixTimeMilliseconds();

    private readonly Keyring _keyring;
    private readonly SealedPacketOptions _options;
    private readonly TimeProvider _clock;
    private readonly ReplayGuard _replay;
    private readonly object _replayLock = new();
    private readonly VerifiedCredentials? _signers;

    /// <param name="signers">When given, packets must be signed by their sender's node key (version 2).</param>
    public PacketOpener(Keyring keyring, SealedPacketOptions? options = null, TimeProvider? clock = null, VerifiedCredentials? signers = null)
    {
        ArgumentNullException.ThrowIfNull(keyring);
        _keyring = keyring;
        _signers = signers;
        _options = options ?? new SealedPacketOptions();
        _options.Validate();
        _clock = clock ?? TimeProvider.System;
        _replay = new ReplayGuard(_options.ReplayWindow, _options.MaxTrackedSenders);
    }

    public GossipDropCounters Drops { get; } = new();

    /// <summary>
    /// Asked with the claimed sender and the packet's length after decryption, before the signature is verified (the
    /// dear step): false drops the packet as rate-limited, and the callback counts it. Set once, before receiving.
    /// </summary>
    internal Func<NodeId, int, bool>? AdmitBeforeSignature { get; set; }

    /// <summary>Raised (on the opening thread) with the claimed sender of a packet signed by another key than the one bound to that name.</summary>
    /// The payload is unauthenticated (only the cluster key's GCM vouches for it): use it to describe the claim, never to act on it.
    internal Action<NodeId, byte[]>? KeyMismatch { get; set; }

    /// <summary>Why credentials of signed packets were refused (each also counts as a <see cref="GossipDropReason.CredentialRefused"/> drop).</summary>
    public CredentialRefusalCounters CredentialRefusals { get; } = new();

    /// <summary>Senders whose sequence numbers are currently remembered (bounded by the options).</summary>
    public int TrackedSenders
    {
        get { lock (_replayLock) return _replay.TrackedSenders; }
    }

    /// <summary>Opens a packet; on failure <paramref name="dropped"/> says why and the matching counter was incremented.</summary>
    public bool TryOpen(ReadOnlySpan<byte> packet, out OpenedPacket? opened, out GossipDropReason dropped)
    {
        opened = null;
        var reason = TryOpenCore(packet, out opened);
        if (reason is { } r)
        {
            // RateLimited comes only from AdmitBeforeSignature, whose owner counts it with its bytes.
            if (r != GossipDropReason.RateLimited) Drops.Count(r);
            dropped = r;
            return false;
        }
        dropped = default;
        return true;
    }

    public OpenedPacket? Open(ReadOnlySpan<byte> packet) => TryOpen(packet, out var opened, out _) ? opened : null;

    private GossipDropReason? TryOpenCore(ReadOnlySpan<byte> packet, out OpenedPacket? opened)
    {
        opened = null;
        if (packet.Length > _options.MaxPacketLength) return GossipDropReason.Oversized;
        if (packet.Length < SealedPacketLayout.MinimumLength) return GossipDropReason.Malformed;
        // Version 1 is still opened where signatures are required, so an older agent of our cluster is told apart (Unsigned)
        // from a foreign cluster (UnknownKey) and from tampering (NotAuthenticated).
        if (packet[0] != SealedPacketLayout.Version && (_signers is null || packet[0] != SealedPacketLayout.SignedVersion))
            return GossipDropReason.Malformed;

        var keyId = BinaryPrimitives.ReadUInt32BigEndian(packet[1..]);
        int senderLength = packet[5];
        if (senderLength is < 1 or > NodeId.MaxLength) return GossipDropReason.Malformed;
        var headerLength = SealedPacketLayout.FixedHeaderLength + senderLength;
        var plaintextLength = packet.Length - headerLength - SealedPacketLayout.NonceLength - SealedPacketLayout.TagLength;
        if (plaintextLength < SealedPacketLayout.PlaintextHeaderLength) return GossipDropReason.Malformed;

        var header = packet[..headerLength];
        var nonce = packet.Slice(headerLength, SealedPacketLayout.NonceLength);
        var ciphertext = packet.Slice(headerLength + SealedPacketLayout.NonceLength, plaintextLength);
        var tag = packet[^SealedPacketLayout.TagLength..];

        // Allocated only once a key matches: packets of foreign clusters cost no more than a header read.
        byte[]? plaintext = null;
        var authenticated = false;
        foreach (var key in _keyring.Matching(keyId))
        {
            plaintext ??= new byte[plaintextLength];
            using var cipher = key.CreateCipher();
            try
            {
                cipher.Decrypt(nonce, ciphertext, tag, plaintext, header);
                authenticated = true;
                break;
            }
            catch (AuthenticationTagMismatchException)
            {
                // Try the next key with this id (only on an id collision); otherwise fall through to the drop.
            }
        }
        if (plaintext is null) return GossipDropReason.UnknownKey;
        if (!authenticated) return GossipDropReason.NotAuthenticated;
        if (_signers is not null && packet[0] == SealedPacketLayout.Version) return GossipDropReason.Unsigned;

        // Authenticated, so the sender bytes came from a key holder; still validate them before building a NodeId.
        string senderText;
        try
        {
            senderText = StrictUtf8.GetString(packet.Slice(SealedPacketLayout.FixedHeaderLength, senderLength));
        }
        catch (DecoderFallbackException)
        {
            return GossipDropReason.Malformed;
        }
        if (!NodeId.IsValidName(senderText)) return GossipDropReason.Malformed; // --name's rules (no control characters)
        var sender = new NodeId(senderText);

        var payloadAt = SealedPacketLayout.PlaintextHeaderLength;
        if (_signers is not null)
        {
            if (AdmitBeforeSignature is { } admit && !admit(sender, packet.Length)) return GossipDropReason.RateLimited;
            if (CheckSignature(sender, header, plaintext, out payloadAt) is { } refused) return refused;
        }

        var timestampMs = BinaryPrimitives.ReadInt64BigEndian(plaintext);
        var sequence = BinaryPrimitives.ReadUInt64BigEndian(plaintext.AsSpan(SealedPacketLayout.TimestampLength));
        // A known sender's timestamp is no longer held to our clock (ReplayGuard), so bound it to what a DateTimeOffset
        // holds: a key holder's hostile 2^63 must be a counted drop, not an exception on the receive thread.
        if (timestampMs < MinTimestampMs || timestampMs > MaxTimestampMs) return GossipDropReason.TooOld;
        var now = _clock.GetUtcNow();
        var nowMs = now.ToUnixTimeMilliseconds();
        lock (_replayLock)
        {
            if (_replay.Check(sender, timestampMs, sequence, nowMs) is { } stale) return stale;
        }

        opened = new OpenedPacket(sender, DateTimeOffset.FromUnixTimeMilliseconds(timestampMs), sequence,
            plaintext[payloadAt..]) { ReceivedAt = now };
        return null;
    }

    /// <summary>Checks a version 2 packet's credential and signature; on success <paramref name="payloadAt"/> is where the payload starts.</summary>
    private GossipDropReason? CheckSignature(NodeId sender, ReadOnlySpan<byte> header, byte[] plaintext, out int payloadAt)
    {
        payloadAt = 0;
        var lengthAt = SealedPacketLayout.PlaintextHeaderLength;
        if (plaintext.Length < lengthAt + SealedPacketLayout.CredentialLengthLength) return GossipDropReason.Malformed;
        int credentialLength = BinaryPrimitives.ReadUInt16BigEndian(plaintext.AsSpan(lengthAt));
        var credentialAt = lengthAt + SealedPacketLayout.CredentialLengthLength;
        if (credentialLength is 0 or > SealedPacketLayout.MaxCredentialLength
            || plaintext.Length < credentialAt + credentialLength + SigningAlgorithm.SignatureLength)
            return GossipDropReason.Malformed;
        var signedEnd = credentialAt + credentialLength;
        payloadAt = signedEnd + SigningAlgorithm.SignatureLength;
        var hash = PacketSealer.SignedPacketHash(header, plaintext.AsSpan(0, signedEnd), plaintext.AsSpan(payloadAt));
        var check = _signers!.Check(sender, plaintext.AsSpan(credentialAt, credentialLength), hash,
            plaintext.AsSpan(signedEnd, SigningAlgorithm.SignatureLength), _clock.GetUtcNow().ToUnixTimeMilliseconds(), out var refusal);
        switch (check)
        {
            case SignatureCheck.Valid: return null;
            case SignatureCheck.CredentialRefused:
                CredentialRefusals.Count(refusal);
                if (refusal == CredentialRefusal.KeyMismatch) KeyMismatch?.Invoke(sender, plaintext[payloadAt..]);
                return GossipDropReason.CredentialRefused;
            default: return GossipDropReason.BadSignature;
        }
    }
}
