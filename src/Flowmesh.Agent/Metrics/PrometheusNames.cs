using System.Diagnostics.Metrics;
using System.Text;

namespace Flowmesh.Agent.Metrics;

/// <summary>
/// The Prometheus name of an instrument, by the rules of OpenTelemetry's Prometheus compatibility specification
/// (the ones an OpenTelemetry collector or Prometheus's own OTLP receiver apply to what --otlp sends): characters other
/// than [a-zA-Z0-9_:] become '_', the unit is appended as a word unless the name already ends with it (By: bytes,
/// s: seconds, By/s: bytes_per_second, 1: ratio; annotations in braces such as {packet} add nothing), and monotonic
/// counters end in _total. So a dashboard over /metrics also works over OTLP converted into Prometheus.
/// </summary>
public static class PrometheusNames
{
    public static string Of(Instrument instrument)
    {
        ArgumentNullException.ThrowIfNull(instrument);
        return Of(instrument.Name, instrument.Unit, IsCounter(instrument));
    }

    public static string Of(string name, string? unit, bool counter)
    {
        string result = Sanitize(name);
        if (UnitWord(unit) is string word && !result.EndsWith("_" + word, StringComparison.Ordinal)) result += "_" + word;
        if (counter && !result.EndsWith("_total", StringComparison.Ordinal)) result += "_total";
        return result;
    }

    /// <summary>Monotonic sums: Prometheus counters. Up-down counters are gauges there.</summary>
    public static bool IsCounter(Instrument instrument) =>
        instrument.GetType() is { IsGenericType: true } type
        && (type.GetGenericTypeDefinition() == typeof(ObservableCounter<>) || type.GetGenericTypeDefinition() == typeof(Counter<>));

    private static string? UnitWord(string? unit) => unit switch
    {
        null or "" => null,
        _ when unit.StartsWith('{') => null,
        "By" => "bytes",
        "s" => "seconds",
        "ms" => "milliseconds",
        "By/s" => "bytes_per_second",
        "1" => "ratio",
        _ => Sanitize(unit),
    };

    private static string Sanitize(string name)
    {
        var text = new StringBuilder(name.Length);
        foreach (char c in name) text.Append(char.IsAsciiLetterOrDigit(c) || c is '_' or ':' ? c : '_');
        if (text.Length > 0 && char.IsAsciiDigit(text[0])) text.Insert(0, '_');
        return text.ToString();
    }
}
