using System.Globalization;

namespace Flowmesh.Agent.Output;

/// <summary>Decimal (SI) units for people: "1.21 GB", "4.8 k".</summary>
internal static class HumanUnits
{
    private static readonly string[] Prefixes = ["", "k", "M", "G", "T", "P", "E"];

    public static string Bytes(long bytes) => Scaled(bytes, "B");

    public static string Count(long count) => count < 10_000 ? count.ToString(CultureInfo.InvariantCulture) : Scaled(count, "").TrimEnd();

    public static string Scaled(double value, string unit)
    {
        int prefix = 0;
        while (Math.Abs(value) >= 1000 && prefix < Prefixes.Length - 1)
        {
            value /= 1000;
            prefix++;
        }
        string number = prefix == 0 ? value.ToString("0", CultureInfo.InvariantCulture)
            : value.ToString(value < 10 ? "0.00" : value < 100 ? "0.0" : "0", CultureInfo.InvariantCulture);
        // "1.21 GB" but "2.46 M packets/s": a prefix joins a unit symbol, not a word.
        string separator = unit.Length > 1 && prefix > 0 ? " " : "";
        return $"{number} {Prefixes[prefix]}{separator}{unit}";
    }

    public static string Duration(TimeSpan span) =>
        span.TotalSeconds < 1 ? $"{span.TotalMilliseconds.ToString("0.0", CultureInfo.InvariantCulture)} ms"
        : span.TotalSeconds < 120 ? $"{span.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture)} s"
        : span.TotalHours < 2 ? $"{span.TotalMinutes.ToString("0.0", CultureInfo.InvariantCulture)} min"
        : $"{span.TotalHours.ToString("0.0", CultureInfo.InvariantCulture)} h";

    /// <summary>A whole number with thin groups of three: "4 812", "1 204 330".</summary>
    public static string Grouped(double value)
    {
        var format = (NumberFormatInfo)CultureInfo.InvariantCulture.NumberFormat.Clone();
        format.NumberGroupSeparator = " ";
        return Math.Round(value).ToString("#,0", format);
    }
}
