using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Flowmesh.Gossip.Security;

/// <summary>
/// The shared AES-256 key every member of one cluster holds. Its bytes never leave this type except through
/// <see cref="ExportBase64"/> (for writing a key file): <see cref="ToString"/> shows only the key id, so a key
/// cannot end up in a log line by accident.
/// </summary>
public sealed class ClusterKey
{
    public const int Length = 32;

    // Domain label for the key id: the id must not be usable as an oracle for anything else derived from the key.
    private static readonly byte[] KeyIdLabel = "flowmesh/cluster-key-id/v1"u8.ToArray();

    private readonly byte[] _bytes;

    private ClusterKey(byte[] bytes)
    {
        _bytes = bytes;
        // A keyed hash, not a hash of the key: the id is public (it travels in every packet header).
        Id = BinaryPrimitives.ReadUInt32BigEndian(HMACSHA256.HashData(bytes, KeyIdLabel));
    }

    /// <summary>Public identifier carried in every sealed packet so the receiver picks the right key at once.</summary>
    public uint Id { get; }

    public static ClusterKey Generate() => new(RandomNumberGenerator.GetBytes(Length));

    public static ClusterKey FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Length)
            throw new ArgumentException($"a cluster key is exactly {Length} bytes, got {bytes.Length}", nameof(bytes));
        return new ClusterKey(bytes.ToArray());
    }

    /// <summary>
    /// Parses key-file text: 32 bytes as base64 (44 characters) or hex (64 characters), surrounding whitespace
    /// ignored. The message of the <see cref="FormatException"/> never echoes the content (it may be a real key
    /// pasted into the wrong file).
    /// </summary>
    public static ClusterKey Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim();
        Span<byte> buffer = stackalloc byte[Length + 3];
        if (trimmed.Length == 2 * Length && Convert.FromHexString(trimmed, buffer, out _, out var hexWritten) == System.Buffers.OperationStatus.Done
            && hexWritten == Length)
            return new ClusterKey(buffer[..Length].ToArray());
        if (Convert.TryFromBase64String(trimmed, buffer, out var written) && written == Length)
            return new ClusterKey(buffer[..Length].ToArray());
        throw new FormatException(
            $"a cluster key must be {Length} bytes written as base64 (44 characters) or hex (64 characters); " +
            $"the text has {trimmed.Length} characters and is neither (create one with 'flowmesh keygen')");
    }

    /// <summary>Reads a key file; the error names the file but not its content.</summary>
    public static ClusterKey FromFile(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FormatException($"cannot read cluster key file '{path}': {e.Message}", e);
        }
        try
        {
            return Parse(text);
        }
        catch (FormatException e)
        {
            throw new FormatException($"cluster key file '{path}': {e.Message}", e);
        }
    }

    /// <summary>The key as base64: the form <c>flowmesh keygen</c> writes. The only way the bytes leave.</summary>
    public string ExportBase64() => Convert.ToBase64String(_bytes);

    /// <summary>A fresh cipher per use: AesGcm instances are not documented as thread-safe.</summary>
    internal AesGcm CreateCipher() => new(_bytes, SealedPacketLayout.TagLength);

    internal bool SameKeyAs(ClusterKey other) => CryptographicOperations.FixedTimeEquals(_bytes, other._bytes);

    public override string ToString() => $"ClusterKey(id {Id:x8}, bytes redacted)";
}
