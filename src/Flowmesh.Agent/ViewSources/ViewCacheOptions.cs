namespace Flowmesh.Agent.ViewSources;

/// <summary>Tunables of <see cref="ViewCache"/>, with their defaults.</summary>
internal sealed record ViewCacheOptions
{
    /// <summary>
    /// How long a built view is served before it is rebuilt. Default: one epoch (set from the source when null), since
    /// new records arrive once per epoch; building a 5 min window of 40 origins costs about 0.4 s (docs/global-view.md).
    /// </summary>
    public TimeSpan? RefreshInterval { get; init; }

    /// <summary>
    /// A long window is rebuilt at most every <c>length × LongWindowRefreshFraction</c> when that exceeds the refresh
    /// interval. Default 1/60: 1 h is rebuilt every minute, 24 h every 24 minutes (a 24 h window merges thousands of
    /// records per origin, and one more epoch changes it by less than 0.1 %). The answer's coverage states its age.
    /// </summary>
    public double LongWindowRefreshFraction { get; init; } = 1.0 / 60;

    /// <summary>Distinct windows kept (trailing lengths and explicit from/to); the least recently used goes first. Default 16.</summary>
    public int Capacity { get; init; } = 16;

    /// <summary>View builds running at once (API requests, detection rounds and metrics together); a build merges every
    /// record of its window on one core. Default 2. An API request that would need one more waits at most
    /// <see cref="ApiBuildWait"/> and is then refused with 429 (issue 15: distinct from/to values each forced a build).</summary>
    public int MaxConcurrentBuilds { get; init; } = 2;

    /// <summary>How long an API request waits for a free build slot before 429. Default 2 s.</summary>
    public TimeSpan ApiBuildWait { get; init; } = TimeSpan.FromSeconds(2);

    public void Validate()
    {
        if (MaxConcurrentBuilds < 1) throw new ArgumentOutOfRangeException(nameof(MaxConcurrentBuilds), MaxConcurrentBuilds, "must be at least 1");
        if (ApiBuildWait < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(ApiBuildWait), ApiBuildWait, "must not be negative");
        if (RefreshInterval is { } r && r <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(RefreshInterval), r, "must be positive");
        if (!(LongWindowRefreshFraction is >= 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(LongWindowRefreshFraction), LongWindowRefreshFraction, "must be from 0 to 1");
        if (Capacity < 1) throw new ArgumentOutOfRangeException(nameof(Capacity), Capacity, "must be at least 1");
    }
}
