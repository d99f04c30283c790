using Flowmesh.Core.Views;

namespace Flowmesh.Agent.ViewSources;

/// <summary>
/// Builds each <see cref="GlobalView"/> at most once per refresh interval and shares it between API requests and the
/// detection round. Builds share one <see cref="SlotMergeCache"/>: a rebuilt window merges again only the slots whose
/// records changed (the newest epoch, or one a late record reached), not every record of the window.
/// A trailing window ("last 5 min") is keyed by its length and moves with the clock; an explicit one by its bounds.
/// Thread-safe: concurrent requests for one window wait for a single build; different windows build in parallel, at most
/// <see cref="ViewCacheOptions.MaxConcurrentBuilds"/> at once.
/// </summary>
internal sealed class ViewCache
{
    private readonly IViewSource _source;
    private readonly GlobalViewOptions _viewOptions;
    private readonly TimeSpan _refresh;
    private readonly int _capacity;
    private readonly double _longFraction;
    private readonly Dictionary<ViewKey, Entry> _entries = [];
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _buildSlots;
    private readonly SlotMergeCache _slots = new();
    private long _builds, _refusedBuilds;

    public ViewCache(IViewSource source, ViewCacheOptions? options = null, GlobalViewOptions? viewOptions = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        options ??= new ViewCacheOptions();
        options.Validate();
        _source = source;
        _viewOptions = viewOptions ?? GlobalViewOptions.Default with { EpochLength = source.EpochLength };
        _refresh = options.RefreshInterval ?? source.EpochLength;
        _capacity = options.Capacity;
        _longFraction = options.LongWindowRefreshFraction;
        _buildSlots = new SemaphoreSlim(options.MaxConcurrentBuilds, options.MaxConcurrentBuilds);
        ApiBuildWait = options.ApiBuildWait;
        MaxConcurrentBuilds = options.MaxConcurrentBuilds;
    }

    /// <summary>How long an API request waits for a build slot (<see cref="ViewCacheOptions.ApiBuildWait"/>).</summary>
    public TimeSpan ApiBuildWait { get; }

    /// <summary>Builds allowed at once (<see cref="ViewCacheOptions.MaxConcurrentBuilds"/>).</summary>
    public int MaxConcurrentBuilds { get; }

    /// <summary>Requests refused because every build slot stayed busy for their wait.</summary>
    public long RefusedBuilds => Interlocked.Read(ref _refusedBuilds);

    public IViewSource Source => _source;

    /// <summary>The merged slots every build reuses (for tests and the agent's metrics).</summary>
    public SlotMergeCache Slots => _slots;

    public GlobalViewOptions ViewOptions => _viewOptions;

    /// <summary>Raised after each build with its duration, records read and merged (flowmesh_view_build_duration_seconds).</summary>
    public event Action<TimeSpan>? Built;

    /// <summary>Views built so far (for tests and the agent's metrics).</summary>
    public long Builds => Interlocked.Read(ref _builds);

    /// <summary>The trailing window of <paramref name="length"/> ending with the epoch that contains now.</summary>
    public GlobalView Last(TimeSpan length) => Get(new ViewKey(length.Ticks, 0, 0), Timeout.InfiniteTimeSpan)!;

    /// <summary>The explicit window [from, to).</summary>
    public GlobalView Between(ViewWindow window) => Get(new ViewKey(0, window.FromMicros, window.ToMicros), Timeout.InfiniteTimeSpan)!;

    /// <summary>As <see cref="Last"/>, but null (counted) when a build is needed and no build slot frees within <paramref name="wait"/>.</summary>
    public GlobalView? TryLast(TimeSpan length, TimeSpan wait) => Get(new ViewKey(length.Ticks, 0, 0), wait);

    /// <summary>As <see cref="Between"/>, but null (counted) when a build is needed and no build slot frees within <paramref name="wait"/>.</summary>
    public GlobalView? TryBetween(ViewWindow window, TimeSpan wait) => Get(new ViewKey(0, window.FromMicros, window.ToMicros), wait);

    private GlobalView? Get(ViewKey key, TimeSpan wait)
    {
        Entry entry;
        lock (_gate)
        {
            if (!_entries.TryGetValue(key, out entry!))
            {
                if (_entries.Count >= _capacity)
                {
                    var oldest = _entries.MinBy(e => e.Value.LastUsed);
                    _entries.Remove(oldest.Key);
                }
                _entries[key] = entry = new Entry();
            }
            entry.LastUsed = Environment.TickCount64;
        }
        // One build per entry at a time; waiters get the fresh view.
        lock (entry.Build)
        {
            long now = _source.NowMicros;
            if (entry.View is { } view && now >= entry.BuiltAtMicros && now - entry.BuiltAtMicros < RefreshMicros(view.Window))
                return view;
            if (!_buildSlots.Wait(wait))
            {
                Interlocked.Increment(ref _refusedBuilds);
                return null;
            }
            try
            {
                var window = key.LengthTicks > 0
                    ? ViewWindow.Last(TimeSpan.FromTicks(key.LengthTicks), now, _viewOptions.EpochLength)
                    : ViewWindow.Between(key.FromMicros, key.ToMicros);
                long started = System.Diagnostics.Stopwatch.GetTimestamp();
                var input = _source.Read(window);
                // A window that ended in the past also reads the records after it that may report its double counts
                // (a separate read: the cover of a longer window could pick roll-ups that straddle this one's end).
                var records = input.Records;
                long reportsUntil = GlobalView.LateReportsUntil(window, now, _viewOptions.EpochLength);
                if (reportsUntil > window.ToMicros) records = [.. records, .. _source.RecordsOverlapping(window.ToMicros, reportsUntil)];
                entry.View = GlobalView.Build(records, input.Expected, now, window, _viewOptions, _slots, input.Zones);
                entry.BuiltAtMicros = now;
                Interlocked.Increment(ref _builds);
                Built?.Invoke(System.Diagnostics.Stopwatch.GetElapsedTime(started));
                return entry.View;
            }
            finally
            {
                _buildSlots.Release();
            }
        }
    }

    /// <summary>How long a view of this window is served: the refresh interval, longer for long windows.</summary>
    public long RefreshMicros(ViewWindow window) =>
        Math.Max(Core.UnixMicros.FromDuration(_refresh), (long)(window.LengthMicros * _longFraction));

    private readonly record struct ViewKey(long LengthTicks, long FromMicros, long ToMicros);

    private sealed class Entry
    {
        public readonly Lock Build = new();
        public GlobalView? View;
        public long BuiltAtMicros;
        public long LastUsed;
    }
}
