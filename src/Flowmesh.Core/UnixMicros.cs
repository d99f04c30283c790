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

    /// <summary>The time of <paramref name="time"/> (a test's fake clock, or the system's), to the microsecond.</summary>
    public static long Now(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        return FromInstant(time.GetUtcNow());
    }

    /// <summary>
    /// An instant as microseconds since the epoch, rounded down to the microsecond it lies in, also before 1970 (a
    /// tick before the epoch is in microsecond -1, not 0). Never through milliseconds: those lose the last three digits.
    /// </summary>
    public static long FromInstant(DateTimeOffset instant) =>
        long.DivRem(instant.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks, TimeSpan.TicksPerMicrosecond) is var (q, r) && r < 0 ? q - 1 : q;

    /// <summary>The instant <paramref name="micros"/> stands for; outside DateTimeOffset's years 1..9999 it throws ArgumentOutOfRangeException.</summary>
    public static DateTimeOffset ToInstant(long micros)
    {
        if (micros < s_minInstant || micros > s_maxInstant)
            throw new ArgumentOutOfRangeException(nameof(micros), micros, "outside the years 1 to 9999");
        return DateTimeOffset.UnixEpoch.AddTicks(micros * TimeSpan.TicksPerMicrosecond);
    }

    /// <summary>Whether <see cref="ToInstant"/> can turn <paramref name="micros"/> into a DateTimeOffset.</summary>
    public static bool IsInstant(long micros) => micros >= s_minInstant && micros <= s_maxInstant;

    /// <summary>
    /// A duration in whole microseconds, cut toward zero (as <c>(long)span.TotalMicroseconds</c> does, without going
    /// through a double): -1.5 µs is -1 µs, so a duration and its negation have the same size.
    /// </summary>
    public static long FromDuration(TimeSpan span) => span.Ticks / TimeSpan.TicksPerMicrosecond;

    /// <summary>The duration of <paramref name="micros"/> microseconds; beyond TimeSpan's range it throws ArgumentOutOfRangeException.</summary>
    public static TimeSpan ToDuration(long micros) => TimeSpan.FromMicroseconds(micros);

    /// <summary>Microseconds as seconds, for JSON and metrics that speak seconds.</summary>
    public static double ToSeconds(long micros) => micros / 1e6;

    private static readonly long s_minInstant = FromInstant(DateTimeOffset.MinValue);
    private static readonly long s_maxInstant = FromInstant(DateTimeOffset.MaxValue);

    private static readonly long s_minText = (DateTime.MinValue.Ticks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerMicrosecond;
    private static readonly long s_maxText = (DateTime.MaxValue.Ticks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerMicrosecond;

    /// <summary>"2026-11-23T22:43:35.123456Z": the length of <see cref="Format"/>'s text.</summary>
    public const int FormattedLength = 27;

    /// <summary>
    /// The one text form of an instant everywhere Flowmesh writes one (flow records, the API, logs): RFC 3339, UTC,
    /// always six fractional digits. RFC 3339 years have four digits: a time outside 0001..9999 (captures with a broken
    /// clock or a misdeclared timestamp resolution exist) is shown at the nearest end of that range rather than failing.
    /// </summary>
    public static string Format(long micros)
    {
        Span<char> text = stackalloc char[FormattedLength];
        FormatInto(micros, text);
        return new string(text);
    }

    /// <summary>Writes <see cref="Format"/>'s text into <paramref name="destination"/> digit by digit: flow records are written by the million.</summary>
    public static void FormatInto(long micros, Span<char> destination)
    {
        var time = DateTime.UnixEpoch.AddTicks(Math.Clamp(micros, s_minText, s_maxText) * TimeSpan.TicksPerMicrosecond);
        Digits(destination[..4], time.Year);
        destination[4] = '-';
        Digits(destination.Slice(5, 2), time.Month);
        destination[7] = '-';
        Digits(destination.Slice(8, 2), time.Day);
        destination[10] = 'T';
        Digits(destination.Slice(11, 2), time.Hour);
        destination[13] = ':';
        Digits(destination.Slice(14, 2), time.Minute);
        destination[16] = ':';
        Digits(destination.Slice(17, 2), time.Second);
        destination[19] = '.';
        Digits(destination.Slice(20, 6), (int)(time.Ticks % TimeSpan.TicksPerSecond / TimeSpan.TicksPerMicrosecond));
        destination[26] = 'Z';
    }

    private static void Digits(Span<char> destination, int value)
    {
        for (int i = destination.Length - 1; i >= 0; i--, value /= 10) destination[i] = (char)('0' + value % 10);
    }
}
