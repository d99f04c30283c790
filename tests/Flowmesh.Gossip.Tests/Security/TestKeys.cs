using Flowmesh.Gossip.Security;

namespace Flowmesh.Gossip.Tests.Security;

internal static class TestKeys
{
    public static readonly DateTimeOffset Epoch = new(2026, 11, 24, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Deterministic key bytes from a seed: tests stay reproducible.</summary>
    public static ClusterKey Key(int seed)
    {
        var bytes = new byte[ClusterKey.Length];
        new Random(seed).NextBytes(bytes);
        return ClusterKey.FromBytes(bytes);
    }
}
