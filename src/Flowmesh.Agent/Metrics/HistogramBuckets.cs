namespace Flowmesh.Agent.Metrics;

/// <summary>
/// One histogram's cumulative state for the Prometheus exposition: a count per bucket (upper bounds inclusive, as
/// Prometheus's le), the sum and the count. Recording takes a short lock and allocates nothing; it happens per seal,
/// view build or gossip probe (about one a second), never per packet.
/// </summary>
public sealed class HistogramBuckets
{
    /// <summary>OpenTelemetry's default boundaries, for a histogram that gives no advice.</summary>
    public static readonly double[] DefaultBounds = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];

    private readonly Lock _gate = new();
    private readonly long[] _counts;
    private double _sum;
    private long _count;

    public HistogramBuckets(double[] bounds)
    {
        ArgumentNullException.ThrowIfNull(bounds);
        for (int i = 1; i < bounds.Length; i++)
            if (!(bounds[i] > bounds[i - 1])) throw new ArgumentException("bucket bounds must increase strictly", nameof(bounds));
        Bounds = bounds;
        _counts = new long[bounds.Length + 1];
    }

    public double[] Bounds { get; }

    public void Record(double value)
    {
        if (double.IsNaN(value)) return; // no bucket holds it; the SDK drops it too
        int index = Array.BinarySearch(Bounds, value);
        if (index < 0) index = ~index; // the first bound above the value
        lock (_gate)
        {
            _counts[index]++;
            _sum += value;
            _count++;
        }
    }

    /// <summary>Counts at or below each bound, then the total (the +Inf bucket); the sum; the count.</summary>
    public (long[] Cumulative, double Sum, long Count) Read()
    {
        lock (_gate)
        {
            var cumulative = new long[_counts.Length];
            long running = 0;
            for (int i = 0; i < _counts.Length; i++) cumulative[i] = running += _counts[i];
            return (cumulative, _sum, _count);
        }
    }
}
