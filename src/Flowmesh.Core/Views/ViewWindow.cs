using System.Globalization;

namespace Flowmesh.Core.Views;

/// <summary>
/// A half-open interval [From, To) of packet time, in microseconds since the Unix epoch. A record contributes to a
/// window only when its whole interval lies inside it, so no traffic outside the window is ever counted.
/// </summary>
public readonly record struct ViewWindow(long FromMicros, long ToMicros)
{
    public long LengthMicros => ToMicros - FromMicros;
    public TimeSpan Length => UnixMicros.ToDuration(LengthMicros);

    /// <summary>
    /// The last <paramref name="length"/> up to now, aligned to <paramref name="epochLength"/>: the window ends at the end
    /// of the epoch that contains <paramref name="nowMicros"/> (still open, so it has no records yet and is not counted
    /// as missing) and starts <paramref name="length"/> earlier. "Last 5 min" with 10 s epochs is thus 30 epochs, of
    /// which 29 are closed.
    /// </summary>
    public static ViewWindow Last(TimeSpan length, long nowMicros, TimeSpan epochLength)
    {
        long lengthMicros = UnixMicros.FromDuration(length);
        long epochMicros = UnixMicros.FromDuration(epochLength);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lengthMicros, 0, nameof(length));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(epochMicros, 0, nameof(epochLength));
        try
        {
            long to = checked(Epochs.EpochRollup.AlignDown(nowMicros, epochMicros) + epochMicros);
            return new ViewWindow(checked(to - lengthMicros), to);
        }
        catch (OverflowException)
        {
            throw new ArgumentOutOfRangeException(nameof(length), length, "the window reaches beyond representable time");
        }
    }

    /// <summary>An explicit interval; throws unless from &lt; to.</summary>
    public static ViewWindow Between(long fromMicros, long toMicros)
    {
        if (fromMicros >= toMicros)
            throw new ArgumentException($"A window needs from < to (got {fromMicros} .. {toMicros} µs).");
        return new ViewWindow(fromMicros, toMicros);
    }

    public static ViewWindow Between(DateTimeOffset from, DateTimeOffset to) =>
        Between(UnixMicros.FromInstant(from), UnixMicros.FromInstant(to));

    /// <summary>
    /// Parses a window length as the CLI and API spell it: a positive integer followed by s, m, h or d ("1m", "5m",
    /// "1h", "24h"). Throws <see cref="FormatException"/> with the accepted forms otherwise.
    /// </summary>
    public static TimeSpan ParseLength(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string t = text.Trim();
        if (t.Length >= 2 && long.TryParse(t.AsSpan(0, t.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out long n) && n > 0 && n <= 366L * 24 * 3600)
        {
            TimeSpan? length = char.ToLowerInvariant(t[^1]) switch
            {
                's' => TimeSpan.FromSeconds(n),
                'm' => TimeSpan.FromMinutes(n),
                'h' => TimeSpan.FromHours(n),
                'd' => TimeSpan.FromDays(n),
                _ => null,
            };
            if (length is { } l && l <= TimeSpan.FromDays(366)) return l;
        }
        throw new FormatException($"'{text}' is not a window length; use a positive number with s, m, h or d, e.g. 1m, 5m, 1h, 24h (at most 366d).");
    }

    public bool Contains(long startMicros, long endMicros) => startMicros >= FromMicros && endMicros <= ToMicros;

    public override string ToString() =>
        $"{UnixMicros.ToInstant(FromMicros):yyyy-MM-ddTHH:mm:ssZ} .. {UnixMicros.ToInstant(ToMicros):yyyy-MM-ddTHH:mm:ssZ}";
}
