using Flowmesh.Core.Epochs;
using Flowmesh.Core.Views;

namespace Flowmesh.Agent.ViewSources;

/// <summary>
/// What the global view needs from a running agent: the records it holds, who is expected to send them, and the
/// clock. The agent implements it over its record store and membership (<see cref="RecordStoreViewSource"/>); tests
/// use a fake. Implementations must be safe to call from several threads (API requests and the detection round).
/// </summary>
internal interface IViewSource
{
    /// <summary>
    /// Decoded records whose epoch overlaps [fromMicros, toMicros): at least, per origin, the coarsest cover of the
    /// window (<see cref="Core.Epochs.CoarsestCover"/>: a roll-up rather than the records it was made from); others are
    /// allowed and ignored by the view. Records that fail to decode are left out and counted by the source.
    /// </summary>
    IReadOnlyList<EpochRecord> RecordsOverlapping(long fromMicros, long toMicros);

    /// <summary>Every origin membership knows, with its state (alive, suspect and dead are expected; left is not).</summary>
    IReadOnlyList<ExpectedOrigin> ExpectedOrigins();

    /// <summary>The current time in µs since the Unix epoch.</summary>
    long NowMicros { get; }

    /// <summary>The cluster's base epoch length (records are sealed per epoch).</summary>
    TimeSpan EpochLength { get; }

    /// <summary>
    /// What a view of <paramref name="window"/> is built from. A flat agent: the records overlapping it and every
    /// expected origin. A zoned agent (<see cref="ZonedViewSource"/>) replaces other zones' origins by their aggregates.
    /// </summary>
    ViewInput Read(ViewWindow window) => new(RecordsOverlapping(window.FromMicros, window.ToMicros), ExpectedOrigins(), null);
}

/// <summary>A view's input: records (and aggregate contents), the origins expected to send records, and, for a zoned agent, the split.</summary>
internal sealed record ViewInput(IReadOnlyList<EpochRecord> Records, IReadOnlyList<ExpectedOrigin> Expected, ZoneViewCoverage? Zones);
