using System.Buffers.Binary;
using System.IO.Hashing;

namespace Flowmesh.Core.Tests.Sketches;

internal static class SerializedSketches
{
    /// <summary>Recomputes the trailing CRC-32 so a deliberately altered body reaches the semantic checks.</summary>
    public static void FixCrc(byte[] bytes) =>
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(bytes.Length - 4), Crc32.HashToUInt32(bytes.AsSpan(0, bytes.Length - 4)));
}
