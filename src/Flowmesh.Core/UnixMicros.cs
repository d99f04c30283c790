namespace Flowmesh.Core;

/// <summary>Wall-clock time as microseconds since the Unix epoch: the unit of every timestamp in flows and records.</summary>
public static class UnixMicros
{
    /// <summary>9999-12-31T23:59:59.999999Z, the last instant a timestamp can be formatted; inputs beyond it are damage.</summary>
    public const long MaxValue = 253_402_300_799_999_999;

    /// <summary>Within 1970..9999: a time every layer can align, add an epoch to, and format.</summary>
    public static bool IsPlausible(long micros) => micros is >= 0 and <= MaxValue;

    public static long Now() => (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerMicrosecond;
}
