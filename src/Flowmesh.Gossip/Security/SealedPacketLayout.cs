namespace Flowmesh.Gossip.Security;

/// <summary>
/// Byte layout of a sealed gossip packet (docs/gossip-security.md):
/// <code>
/// version (1) | key id (4, big-endian) | sender length n (1) | sender NodeId (n, UTF-8)
///   | nonce (12) | ciphertext of [timestamp ms (8, BE) | sequence (8, BE) | payload] | tag (16)
/// </code>
/// Everything before the nonce is the associated data, so the version, key id and sender are authenticated
/// although they travel in clear (the receiver needs them before it can decrypt).
/// Version 2 (<see cref="SignedVersion"/>, issue 16) also proves which node sealed it, not just that a key holder did:
/// <code>
/// plaintext = timestamp (8) | sequence (8) | credential length c (2, BE) | credential (c) | signature (64) | payload
/// </code>
/// the signature being the sender's ECDSA P-256 (IEEE P1363 r||s) over SHA-256 of
/// <see cref="SignatureDomain"/> | header | timestamp | sequence | credential length | credential | payload.
/// </summary>
public static class SealedPacketLayout
{
    public const byte Version = 1;

    /// <summary>Sealed and signed by the sender's node key: what membership uses once nodes have credentials.</summary>
    public const byte SignedVersion = 2;

    public const int CredentialLengthLength = 2;

    /// <summary>A bare P-256 key is 91 bytes and a node certificate a few hundred; the cap bounds hostile input.</summary>
    public const int MaxCredentialLength = 2048;

    /// <summary>Separates packet signatures from every other signature a node key makes (records, membership claims).</summary>
    public static ReadOnlySpan<byte> SignatureDomain => "flowmesh sealed packet v2\0"u8;
    public const int KeyIdLength = 4;
    public const int NonceLength = 12;
    public const int TagLength = 16;
    public const int TimestampLength = 8;
    public const int SequenceLength = 8;

    /// <summary>Bytes before the sender id: version, key id, sender length.</summary>
    public const int FixedHeaderLength = 1 + KeyIdLength + 1;

    /// <summary>The authenticated plaintext prefix in front of the payload.</summary>
    public const int PlaintextHeaderLength = TimestampLength + SequenceLength;

    /// <summary>Overhead of a packet whose sender id is <paramref name="senderLength"/> bytes.</summary>
    public static int Overhead(int senderLength) =>
        FixedHeaderLength + senderLength + NonceLength + PlaintextHeaderLength + TagLength;

    /// <summary>Overhead of a signed (version 2) packet whose sender id is <paramref name="senderLength"/> bytes.</summary>
    public static int SignedOverhead(int senderLength, int credentialLength) =>
        Overhead(senderLength) + CredentialLengthLength + credentialLength + SigningAlgorithm.SignatureLength;

    /// <summary>Shortest packet that can be valid: one-byte sender, empty payload.</summary>
    public static int MinimumLength => Overhead(1);
}
