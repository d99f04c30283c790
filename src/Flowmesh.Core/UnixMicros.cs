namespace Flowmesh.Core;

/// <summary>Wall-clock time as microseconds since the Unix epoch: the unit of every timestamp in flows and records.</summary>
public static class UnixMicros
{
    /// <summary>
    /// The latest time a frame may carry: an epoch of up to a day that contains it still ends within a long. Real
    /// captures go far beyond year 9999 (a public pcapng with a wrong resolution says year 151991, and tshark reads
    /// it), so only what would overflow is refused.
    /// </summary>
    public const long MaxRepresentable = long.MaxValue - 2 * 86_400_000_000L;

    /// <summary>Not before 1970 and not past <see cref="MaxRepresentable"/>: a time every layer can align and add an epoch to.</summary>
    public static bool IsRepresentable(long micros) => micros is >= 0 and <= MaxRepresentable;

    public static long Now() => (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerMicrosecond;
}
