using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace Flowmesh.Agent.Metrics;

/// <summary>
/// `flowmesh agent --otlp URL`: the OpenTelemetry SDK collects the <see cref="AgentMeter.MeterName"/> meter and pushes
/// it to a collector over OTLP/HTTP with protobuf bodies, cumulative like /metrics. A collector that is down costs a
/// failed post per interval and nothing else (the SDK drops that batch; the next one carries the cumulative values).
/// Credentials go in OTEL_EXPORTER_OTLP_HEADERS, which the SDK reads; the URL may not carry any, and is printed
/// without its query.
/// </summary>
public static class OtlpMetricsExport
{
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan MinInterval = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan MaxInterval = TimeSpan.FromHours(1);

    /// <summary>The OTLP/HTTP path of metrics, added when the URL names only the collector (http://host:4318).</summary>
    public const string MetricsPath = "/v1/metrics";

    /// <summary>Collects the meter named <see cref="AgentMeter.MeterName"/> in this process (the agent's one) every <paramref name="interval"/>.</summary>
    public static MeterProvider Start(Uri endpoint, TimeSpan interval, string node) =>
        Sdk.CreateMeterProviderBuilder()
            .ConfigureResource(resource => resource.AddService("flowmesh", serviceVersion: typeof(AgentMeter).Assembly.GetName().Version?.ToString(3), serviceInstanceId: node))
            .AddMeter(AgentMeter.MeterName)
            .AddOtlpExporter((exporter, reader) =>
            {
                exporter.Endpoint = endpoint;
                exporter.Protocol = OtlpExportProtocol.HttpProtobuf;
                // Shorter than the SDK's 10 s: a stop (SIGTERM) flushes once and must not wait long for a collector that is gone.
                exporter.TimeoutMilliseconds = 5000;
                reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = (int)interval.TotalMilliseconds;
                reader.TemporalityPreference = MetricReaderTemporalityPreference.Cumulative;
            })
            .Build();

    /// <summary>Starts the export when --otlp gave an endpoint, and says so in one line (without the URL's query).</summary>
    public static MeterProvider? StartIfAsked(Uri? endpoint, TimeSpan interval, string node, TextWriter log)
    {
        if (endpoint is null) return null;
        var provider = Start(endpoint, interval, node);
        log.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"flowmesh: pushing metrics by OTLP/HTTP to {Printable(endpoint)} every {interval.TotalSeconds:0.###} s"));
        return provider;
    }

    /// <summary>An absolute http(s) URL without credentials; a bare collector address gets <see cref="MetricsPath"/>.</summary>
    public static Uri? ParseEndpoint(string text, out string? error)
    {
        if (!Uri.TryCreate(text.Trim(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            error = "--otlp needs an http:// or https:// URL, such as http://127.0.0.1:4318 (OTLP/HTTP, protobuf).";
            return null;
        }
        if (uri.UserInfo.Length > 0)
        {
            error = "--otlp must not carry credentials in the URL (they would show in process lists and logs); put them in OTEL_EXPORTER_OTLP_HEADERS.";
            return null;
        }
        error = null;
        return uri.AbsolutePath == "/" ? new Uri(uri, MetricsPath) : uri;
    }

    /// <summary>The URL as the agent prints it: scheme, host, port and path, never the query.</summary>
    public static string Printable(Uri endpoint) => endpoint.GetLeftPart(UriPartial.Path);
}
