using System.Diagnostics.Metrics;

namespace Flowmesh.Agent.Metrics;

/// <summary>
/// The agent's instruments, on one <see cref="System.Diagnostics.Metrics.Meter"/> named <see cref="MeterName"/>: what
/// /metrics serves (through <see cref="MeterPrometheusExposition"/>), what --otlp exports and what
/// <c>dotnet-counters monitor --counters Flowmesh.Agent</c> shows. Counters and gauges are observable: they read the
/// agent's existing counters when something collects (<see cref="AgentMetricsSnapshot"/>), so the capture's hot path
/// makes no instrument call per packet. The histograms are recorded where the event happens (seals, view builds, probes).
/// Instrument names follow OpenTelemetry's conventions (dotted, with a unit); <see cref="PrometheusNames"/> turns them
/// into the stable Prometheus names of docs/metrics.md by the same rules an OpenTelemetry collector uses.
/// </summary>
public sealed partial class AgentMeter : IDisposable
{
    public const string MeterName = "Flowmesh.Agent";

    /// <summary>
    /// A snapshot reads the store and the membership, so one is shared by all instruments of one collection: a scrape
    /// takes a fresh one (<see cref="BeginCollection"/>); other collectors (OTLP, dotnet-counters) reuse one younger than this.
    /// </summary>
    private const long SnapshotReuseMilliseconds = 1000;

    private readonly Lock _gate = new();
    private Func<AgentMetricsSnapshot>? _source;
    private AgentMetricsSnapshot? _snapshot;
    private long _snapshotAt;

    public AgentMeter()
    {
        Meter = new Meter(MeterName, typeof(AgentMeter).Assembly.GetName().Version?.ToString(3));
        CreateObservables(); // first: /metrics lists instruments in creation order, flowmesh_agent_info at the top
        SealDuration = Histogram("flowmesh.record.seal.duration", "s",
            "Time to seal one own epoch record: build it from the epoch's sketches, sign and store it.",
            [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]);
        RecordSize = Histogram("flowmesh.record.size", "By", "Bytes of each own epoch record as stored and replicated (signed).",
            [512L, 1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072, 262144, 524288, 1048576]);
        GossipRoundTrip = Histogram("flowmesh.gossip.round_trip", "s", "Round trip of membership probes answered directly by their target.",
            [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]);
        ViewBuildDuration = Histogram("flowmesh.view.build.duration", "s", "Time to build one global view (read its records from the store and merge them).",
            [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);
    }

    public Meter Meter { get; }

    public Histogram<double> SealDuration { get; }

    public Histogram<long> RecordSize { get; }

    public Histogram<double> GossipRoundTrip { get; }

    public Histogram<double> ViewBuildDuration { get; }

    /// <summary>Where the counters and gauges read from; until this is called they report nothing.</summary>
    public void ReadFrom(Func<AgentMetricsSnapshot> source)
    {
        lock (_gate)
        {
            _source = source;
            _snapshot = null;
        }
    }

    /// <summary>The next observation takes a fresh snapshot (a scrape must show what happened just before it).</summary>
    public void BeginCollection()
    {
        lock (_gate) _snapshot = null;
    }

    public void Dispose() => Meter.Dispose();

    private AgentMetricsSnapshot? Current()
    {
        lock (_gate)
        {
            long now = Environment.TickCount64;
            if (_source is not null && (_snapshot is null || now - _snapshotAt > SnapshotReuseMilliseconds))
            {
                _snapshot = _source();
                _snapshotAt = now;
            }
            return _snapshot;
        }
    }

    // The buckets are advice to every collector (our exposition and the OpenTelemetry SDK read it), so /metrics and
    // OTLP agree on them.
    private Histogram<T> Histogram<T>(string name, string unit, string description, T[] buckets) where T : struct =>
        Meter.CreateHistogram(name, unit, description, tags: null, new InstrumentAdvice<T> { HistogramBucketBoundaries = buckets });
}
