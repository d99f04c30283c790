using System.Security.Cryptography;
using Flowmesh.Core.Epochs;
using Flowmesh.Gossip.Records;

namespace Flowmesh.Agent.StorageCrashWriter;

/// <summary>
/// Record number n, the same in the writer and in the test that checks it: the content is a pure function of n,
/// so the test knows every byte an acknowledged record must have without trusting the store.
/// </summary>
public static class CrashRecords
{
    public const long EpochMicros = 60_000_000;

    public static EpochId Id(long n) => new($"origin-{n % 7}", 1_700_000_000_000_000 + n * EpochMicros, EpochMicros);

    public static byte[] Envelope(long n)
    {
        var random = new Random(unchecked((int)(n * 2654435761L)));
        var bytes = new byte[200 + random.Next(6000)];
        random.NextBytes(bytes);
        BitConverter.TryWriteBytes(bytes, n);
        return bytes;
    }

    public static VerifiedRecord Make(long n)
    {
        var envelope = Envelope(n);
        return new VerifiedRecord(Id(n), Convert.ToHexStringLower(SHA256.HashData(envelope)), envelope);
    }
}
