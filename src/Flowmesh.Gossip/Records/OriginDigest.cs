using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using Flowmesh.Core.Epochs;

namespace Flowmesh.Gossip.Records;

/// <summary>
/// What a node holds of one origin, in a few bytes: how many records, the newest epoch start, and an
/// order-independent fingerprint of the ids (XOR of <see cref="IdHash"/>). Two nodes with equal digests for an
/// origin hold the same ids (up to a 2^-64 collision); only origins whose digests differ need an id-level exchange.
/// </summary>
public readonly record struct OriginDigest(string Origin, int Count, long NewestStartMicros, ulong Fingerprint)
{
    /// <summary>The per-id hash folded into <see cref="Fingerprint"/>; every store must use exactly this.</summary>
    public static ulong IdHash(EpochId id)
    {
        Span<byte> buffer = stackalloc byte[EpochId.MaxOriginBytes + 16];
        int n = Encoding.UTF8.GetBytes(id.Origin, buffer);
        BinaryPrimitives.WriteInt64LittleEndian(buffer[n..], id.StartMicros);
        BinaryPrimitives.WriteInt64LittleEndian(buffer[(n + 8)..], id.LengthMicros);
        return XxHash64.HashToUInt64(buffer[..(n + 16)]);
    }

    /// <summary>The digest of a set of ids of one origin (for stores that compute it rather than maintain it).</summary>
    public static OriginDigest Of(string origin, IEnumerable<EpochId> ids)
    {
        int count = 0;
        long newest = long.MinValue;
        ulong fingerprint = 0;
        foreach (var id in ids)
        {
            count++;
            newest = Math.Max(newest, id.StartMicros);
            fingerprint ^= IdHash(id);
        }
        return new OriginDigest(origin, count, newest, fingerprint);
    }
}
