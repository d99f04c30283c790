namespace Flowmesh.Gossip.Security;

/// <summary>
/// Byte layout of a sealed gossip packet (docs/gossip-security.md):
/// <code>
/// version (1) | key id (4, big-endian) | sender length n (1) | sender NodeId (n, UTF-8)
///   | nonce (12) | ciphertext of [timestamp ms (8, BE) | sequence (8, BE) | payload] | tag (16)
/// </code>
/// Everything before the nonce is the associated data, so the version, key id and sender are authenticated
/// although they travel in clear (the receiver needs them before it can decrypt).
/// </summary>
public static class SealedPacketLayout
{
    public const byte Version = 1;
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

    /// <summary>Shortest packet that can be valid: one-byte sender, empty payload.</summary>
    public static int MinimumLength => Overhead(1);
}
