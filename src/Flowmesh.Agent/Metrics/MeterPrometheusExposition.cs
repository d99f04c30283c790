using System.Diagnostics.Metrics;
using System.Globalization;

namespace Flowmesh.Agent.Metrics;

/// <summary>
/// The Prometheus text of one <see cref="Meter"/> instance, collected through a <see cref="MeterListener"/>: observable
/// counters and gauges are read at the scrape, histograms are aggregated as they are recorded. Bound to the instance,
/// not the name, so two agents (or tests) in one process never see each other's instruments. Why not OpenTelemetry's
/// Prometheus exporter: docs/metrics.md, "How /metrics is made".
/// </summary>
public sealed class MeterPrometheusExposition : IDisposable
{
    private readonly Meter _meter;
    private readonly Action? _beforeCollection;
    private readonly MeterListener _listener;
    private readonly Lock _instrumentsGate = new(), _scrapeGate = new();
    private readonly List<Instrument> _instruments = [];
    private readonly Dictionary<Instrument, HistogramBuckets> _buckets = [];
    private readonly Dictionary<Instrument, List<(double Value, KeyValuePair<string, object?>[] Tags)>> _observed = [];

    /// <param name="beforeCollection">Called at the start of each scrape (the agent drops its cached snapshot there).</param>
    public MeterPrometheusExposition(Meter meter, Action? beforeCollection = null)
    {
        _meter = meter;
        _beforeCollection = beforeCollection;
        _listener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter != _meter) return;
                lock (_instrumentsGate) _instruments.Add(instrument);
                listener.EnableMeasurementEvents(instrument, BucketsFor(instrument));
            },
            MeasurementsCompleted = (instrument, _) =>
            {
                lock (_instrumentsGate)
                {
                    _instruments.Remove(instrument);
                    _buckets.Remove(instrument);
                }
            },
        };
        _listener.SetMeasurementEventCallback<int>((i, v, tags, state) => OnMeasurement(i, v, tags, state));
        _listener.SetMeasurementEventCallback<long>((i, v, tags, state) => OnMeasurement(i, v, tags, state));
        _listener.SetMeasurementEventCallback<float>((i, v, tags, state) => OnMeasurement(i, v, tags, state));
        _listener.SetMeasurementEventCallback<double>(OnMeasurement);
        _listener.Start();
    }

    public string Scrape()
    {
        lock (_scrapeGate)
        {
            _beforeCollection?.Invoke();
            _observed.Clear();
            _listener.RecordObservableInstruments();
            Instrument[] instruments;
            lock (_instrumentsGate) instruments = [.. _instruments];
            var writer = new PrometheusTextWriter();
            foreach (var instrument in instruments) Write(writer, instrument);
            _observed.Clear();
            return writer.ToString();
        }
    }

    public void Dispose() => _listener.Dispose();

    private void Write(PrometheusTextWriter writer, Instrument instrument)
    {
        string name = PrometheusNames.Of(instrument);
        string help = instrument.Description ?? "";
        if (BucketsOf(instrument) is { } buckets)
        {
            writer.Family(name, MetricType.Histogram, help);
            var (cumulative, sum, count) = buckets.Read();
            writer.Histogram(name, buckets.Bounds, cumulative, sum, count);
            return;
        }
        // An observable instrument with nothing to say (no capture, no view yet) has no family at all, as before.
        if (!_observed.TryGetValue(instrument, out var samples) || samples.Count == 0) return;
        writer.Family(name, PrometheusNames.IsCounter(instrument) ? MetricType.Counter : MetricType.Gauge, help);
        foreach (var (value, tags) in samples)
            writer.Sample(name, value, [.. tags.Select(t => (t.Key, Convert.ToString(t.Value, CultureInfo.InvariantCulture) ?? ""))]);
    }

    private void OnMeasurement(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        if (state is HistogramBuckets buckets)
        {
            buckets.Record(value); // histograms of this agent carry no attributes; any given are not split out
            return;
        }
        // Observable instruments report only inside RecordObservableInstruments, on the scraping thread, under _scrapeGate.
        if (!instrument.IsObservable) return;
        if (!_observed.TryGetValue(instrument, out var list)) _observed[instrument] = list = [];
        list.Add((value, tags.ToArray()));
    }

    private HistogramBuckets? BucketsOf(Instrument instrument)
    {
        lock (_instrumentsGate) return _buckets.GetValueOrDefault(instrument);
    }

    private HistogramBuckets? BucketsFor(Instrument instrument)
    {
        double[]? bounds = instrument switch
        {
            Histogram<double> h => h.Advice?.HistogramBucketBoundaries is { } b ? [.. b] : HistogramBuckets.DefaultBounds,
            Histogram<long> h => h.Advice?.HistogramBucketBoundaries is { } b ? [.. b.Select(x => (double)x)] : HistogramBuckets.DefaultBounds,
            Histogram<int> h => h.Advice?.HistogramBucketBoundaries is { } b ? [.. b.Select(x => (double)x)] : HistogramBuckets.DefaultBounds,
            _ => null,
        };
        if (bounds is null) return null;
        var buckets = new HistogramBuckets(bounds);
        lock (_instrumentsGate) _buckets[instrument] = buckets;
        return buckets;
    }
}
