using System.Globalization;
using Flowmesh.Agent.Api;
using Flowmesh.Agent.Output;

namespace Flowmesh.Agent.Cli;

/// <summary>
/// A number for people with its bound, never shown as exact when it is not: "4.10 GB" (exact), "≈4.10 GB ±12.0 MB"
/// (a sketch estimate), "≥4.10 GB" (exact over what arrived, but an origin's records are missing), and a trailing " ?"
/// when the system cannot stand behind it (the bound reaches zero, or conflicting records).
/// </summary>
internal static class BoundedNumber
{
    public static string Format(MeasuredDocument m, string unit) =>
        Format(m.Value, m.Error, m.Exact, m.Trusted, m.Caveats.Contains("incompleteCoverage"), unit);

    public static string Format(double value, double error, bool exact, bool trusted, bool incomplete, string unit)
    {
        if (exact) return Plain(value, unit);
        // "≥" already says "traffic is missing, the truth may be higher"; "?" marks any other doubt.
        if (error <= 0 && incomplete) return "≥" + Plain(value, unit);
        string text = error > 0 ? $"≈{Plain(value, unit)} ±{Plain(error, unit)}" : "≈" + Plain(value, unit);
        return trusted ? text : text + " ?";
    }

    /// <summary>A value known only with its bound (no caveat list): exact only when the bound is zero and the answer's coverage is complete.</summary>
    public static string Format(double? value, double? error, bool coverageComplete, string unit) =>
        value is not { } v ? "?" : Format(v, error ?? 0, (error ?? 0) == 0 && coverageComplete, true, !coverageComplete, unit);

    public static string Plain(double value, string unit) => unit switch
    {
        "B" => HumanUnits.Scaled(value, "B"),
        "bit/s" => HumanUnits.Scaled(value, "bit/s"),
        "%" => (value * 100).ToString("0.0", CultureInfo.InvariantCulture) + " %",
        _ => HumanUnits.Grouped(value) + (unit.Length > 0 ? " " + unit : ""),
    };

    public static string Csv(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    public static string Csv(double? value) => value is { } v ? Csv(v) : "";
}
