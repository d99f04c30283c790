using System.Buffers.Binary;
using System.Numerics;

namespace Flowmesh.Core.Flows;

/// <summary>
/// SHA-1 (FIPS 180-4) of a message that fits one 64-byte block (at most 55 bytes), in managed code.
/// Community ID hashes 16 to 40 bytes per flow; the platform's SHA1.HashData goes through OpenSSL
/// and costs 0.5-1 us per call in setup alone, which made the hash the most expensive part of writing
/// a flow record. SHA-1 here is a fingerprint the Community ID spec fixes, not a security primitive.
/// </summary>
internal static class Sha1SingleBlock
{
    public const int MaxMessageLength = 55;
    public const int DigestLength = 20;

    public static void Hash(ReadOnlySpan<byte> message, Span<byte> digest)
    {
        if (message.Length > MaxMessageLength) throw new ArgumentOutOfRangeException(nameof(message), "longer than one SHA-1 block");
        if (digest.Length < DigestLength) throw new ArgumentException("digest needs 20 bytes", nameof(digest));

        Span<byte> block = stackalloc byte[64];
        block.Clear();
        message.CopyTo(block);
        block[message.Length] = 0x80;
        BinaryPrimitives.WriteUInt64BigEndian(block[56..], (ulong)message.Length * 8);

        Span<uint> w = stackalloc uint[80];
        for (int i = 0; i < 16; i++) w[i] = BinaryPrimitives.ReadUInt32BigEndian(block[(4 * i)..]);
        for (int i = 16; i < 80; i++) w[i] = BitOperations.RotateLeft(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);

        uint a = 0x67452301, b = 0xEFCDAB89, c = 0x98BADCFE, d = 0x10325476, e = 0xC3D2E1F0;
        for (int i = 0; i < 80; i++)
        {
            uint f, k;
            if (i < 20) { f = (b & c) | (~b & d); k = 0x5A827999; }
            else if (i < 40) { f = b ^ c ^ d; k = 0x6ED9EBA1; }
            else if (i < 60) { f = (b & c) | (b & d) | (c & d); k = 0x8F1BBCDC; }
            else { f = b ^ c ^ d; k = 0xCA62C1D6; }
            uint t = BitOperations.RotateLeft(a, 5) + f + e + k + w[i];
            e = d;
            d = c;
            c = BitOperations.RotateLeft(b, 30);
            b = a;
            a = t;
        }

        BinaryPrimitives.WriteUInt32BigEndian(digest, 0x67452301 + a);
        BinaryPrimitives.WriteUInt32BigEndian(digest[4..], 0xEFCDAB89 + b);
        BinaryPrimitives.WriteUInt32BigEndian(digest[8..], 0x98BADCFE + c);
        BinaryPrimitives.WriteUInt32BigEndian(digest[12..], 0x10325476 + d);
        BinaryPrimitives.WriteUInt32BigEndian(digest[16..], 0xC3D2E1F0 + e);
    }
}
