namespace Flowmesh.Core.Detections;

/// <summary>
/// Alerts deduplicated by <see cref="Alert.Id"/>: raising an alert again updates its entry (latest evidence, last
/// seen, count) instead of adding one. Bounded: beyond the capacity the least recently seen entries are dropped.
/// Not thread-safe; the owner serializes access.
/// </summary>
public sealed class AlertLog
{
    private readonly Dictionary<string, AlertLogEntry> _entries = new(StringComparer.Ordinal);

    public AlertLog(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
    }

    public int Capacity { get; }
    public int Count => _entries.Count;

    /// <summary>Entries dropped because the log was full.</summary>
    public long Dropped { get; private set; }

    /// <summary>Adds or refreshes the alert's entry. Returns true when the id is new.</summary>
    public bool Record(Alert alert, long nowMicros)
    {
        ArgumentNullException.ThrowIfNull(alert);
        if (_entries.TryGetValue(alert.Id, out var entry))
        {
            _entries[alert.Id] = entry with { Alert = alert, LastSeenMicros = Math.Max(entry.LastSeenMicros, nowMicros), Evaluations = entry.Evaluations + 1 };
            return false;
        }
        if (_entries.Count >= Capacity)
        {
            var oldest = _entries.Values.OrderBy(e => e.LastSeenMicros).ThenBy(e => e.Alert.Id, StringComparer.Ordinal).First();
            _entries.Remove(oldest.Alert.Id);
            Dropped++;
        }
        _entries[alert.Id] = new AlertLogEntry(alert, nowMicros, nowMicros, 1);
        return true;
    }

    /// <summary>Entries last raised at or after <paramref name="sinceMicros"/>, newest first.</summary>
    public IReadOnlyList<AlertLogEntry> Since(long sinceMicros) =>
        _entries.Values.Where(e => e.LastSeenMicros >= sinceMicros)
            .OrderByDescending(e => e.LastSeenMicros).ThenBy(e => e.Alert.Kind).ThenBy(e => e.Alert.Subject, StringComparer.Ordinal).ToList();

    public AlertLogEntry? Find(string id) => _entries.GetValueOrDefault(id);
}
