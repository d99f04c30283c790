namespace Flowmesh.Core;

/// <summary>Wall-clock time as microseconds since the Unix epoch: the unit of every timestamp in flows and records.</summary>
public static class UnixMicros
{
    public static long Now() => (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerMicrosecond;
}
