namespace Flowmesh.IntegrationTests.Cluster;

/// <summary>Wall-clock instants in µs, aligned to the cluster's epochs (<see cref="AgentCluster.Epoch"/>), for tests that cut windows.</summary>
internal static class ClusterClock
{
    public static readonly long EpochMicros = (long)AgentCluster.Epoch.TotalMicroseconds;

    public static long Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;

    /// <summary>The first epoch boundary at or after <paramref name="micros"/>.</summary>
    public static long AlignUp(long micros) => (micros + EpochMicros - 1) / EpochMicros * EpochMicros;

    public static void SleepUntil(long micros)
    {
        long wait = micros - Now();
        if (wait > 0) Thread.Sleep(TimeSpan.FromMicroseconds(wait));
    }
}
