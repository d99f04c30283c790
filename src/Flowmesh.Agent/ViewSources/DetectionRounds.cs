using Flowmesh.Core.Detections;

namespace Flowmesh.Agent.ViewSources;

/// <summary>
/// Runs the <see cref="DetectionEngine"/> on the cache's shared views at most once per refresh interval, and reads its
/// deduplicated alert log. The engine is not thread-safe, so every use goes through one lock. The agent may call
/// <see cref="EvaluateIfDue"/> once per epoch; the alerts endpoint calls it too, so alerts are current even before the
/// agent's own round runs.
/// </summary>
internal sealed class DetectionRounds(ViewCache cache, DetectionEngine engine, TimeSpan? interval = null)
{
    private readonly Lock _gate = new();
    private readonly long _intervalMicros = Core.UnixMicros.FromDuration(interval ?? cache.Source.EpochLength);
    private long _lastMicros = long.MinValue;

    public DetectionEngine Engine => engine;

    /// <summary>Rounds run so far.</summary>
    public long Rounds { get; private set; }

    /// <summary>Evaluates every detection when the last round is older than the interval; returns whether it ran.</summary>
    public bool EvaluateIfDue()
    {
        lock (_gate)
        {
            long now = cache.Source.NowMicros;
            if (_lastMicros != long.MinValue && now >= _lastMicros && now - _lastMicros < _intervalMicros) return false;
            engine.Evaluate(cache.Last, now);
            _lastMicros = now;
            Rounds++;
            return true;
        }
    }

    /// <summary>Logged alerts whose window overlaps [from, to), most recently seen first.</summary>
    public IReadOnlyList<AlertLogEntry> Overlapping(long fromMicros, long toMicros)
    {
        lock (_gate)
        {
            return engine.Log.Since(long.MinValue)
                .Where(e => e.Alert.Window.FromMicros < toMicros && fromMicros < e.Alert.Window.ToMicros)
                .OrderByDescending(e => e.LastSeenMicros).ThenBy(e => e.Alert.Id, StringComparer.Ordinal)
                .ToList();
        }
    }
}
