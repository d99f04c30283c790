using System.Globalization;
using System.Text;

namespace Flowmesh.Agent.Metrics;

/// <summary>
/// Writes the Prometheus text exposition format (version 0.0.4): a HELP and TYPE line per family, then its samples.
/// Label values are escaped as the format requires (backslash, double quote, newline) so a hostile node name or
/// interface name can never break a line or inject a sample.
/// </summary>
public sealed class PrometheusTextWriter
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private readonly StringBuilder _text = new();
    private readonly HashSet<string> _families = new(StringComparer.Ordinal);

    public void Family(string name, MetricType type, string help)
    {
        ValidateName(name);
        if (!_families.Add(name)) throw new InvalidOperationException($"metric family {name} written twice");
        _text.Append("# HELP ").Append(name).Append(' ').Append(EscapeHelp(help)).Append('\n');
        _text.Append("# TYPE ").Append(name).Append(' ').Append(type switch
        {
            MetricType.Counter => "counter",
            MetricType.Gauge => "gauge",
            MetricType.Histogram => "histogram",
            _ => throw new ArgumentOutOfRangeException(nameof(type)),
        }).Append('\n');
    }

    public void Sample(string name, double value, params ReadOnlySpan<(string Name, string Value)> labels)
    {
        ValidateName(name);
        _text.Append(name);
        if (labels.Length > 0)
        {
            _text.Append('{');
            for (int i = 0; i < labels.Length; i++)
            {
                ValidateName(labels[i].Name);
                if (i > 0) _text.Append(',');
                _text.Append(labels[i].Name).Append("=\"");
                AppendEscapedLabelValue(labels[i].Value);
                _text.Append('"');
            }
            _text.Append('}');
        }
        _text.Append(' ').Append(FormatValue(value)).Append('\n');
    }

    /// <summary>One family with one unlabelled sample: the common case.</summary>
    public void Single(string name, MetricType type, string help, double value)
    {
        Family(name, type, help);
        Sample(name, value);
    }

    /// <summary>A histogram's samples: cumulative buckets (the last is +Inf, the count), then _sum and _count.</summary>
    public void Histogram(string name, IReadOnlyList<double> bounds, IReadOnlyList<long> cumulative, double sum, long count)
    {
        if (cumulative.Count != bounds.Count + 1) throw new ArgumentException("one cumulative count per bound, and one for +Inf", nameof(cumulative));
        for (int i = 0; i < bounds.Count; i++) Sample(name + "_bucket", cumulative[i], ("le", FormatValue(bounds[i])));
        Sample(name + "_bucket", count, ("le", "+Inf"));
        Sample(name + "_sum", sum);
        Sample(name + "_count", count);
    }

    public override string ToString() => _text.ToString();

    private static string FormatValue(double value) => value switch
    {
        double.PositiveInfinity => "+Inf",
        double.NegativeInfinity => "-Inf",
        double.NaN => "NaN",
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };

    private void AppendEscapedLabelValue(string value)
    {
        foreach (char c in value)
        {
            switch (c)
            {
                case '\\': _text.Append(@"\\"); break;
                case '"': _text.Append("\\\""); break;
                case '\n': _text.Append(@"\n"); break;
                default: _text.Append(c); break;
            }
        }
    }

    private static string EscapeHelp(string help) => help.Replace(@"\", @"\\").Replace("\n", @"\n");

    // [a-zA-Z_:][a-zA-Z0-9_:]*: names come from our code, so a bad one is a bug, not input.
    private static void ValidateName(string name)
    {
        bool valid = name.Length > 0 && !char.IsAsciiDigit(name[0]);
        foreach (char c in name) valid &= char.IsAsciiLetterOrDigit(c) || c is '_' or ':';
        if (!valid) throw new ArgumentException($"not a Prometheus name: {name}", nameof(name));
    }
}

public enum MetricType
{
    Counter,
    Gauge,
    Histogram,
}
