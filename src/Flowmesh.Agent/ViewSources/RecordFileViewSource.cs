using Flowmesh.Core.Epochs;
using Flowmesh.Core.Views;

namespace Flowmesh.Agent.ViewSources;

/// <summary>
/// <see cref="IViewSource"/> over records read from .fms files (<c>flowmesh query</c>), so files are answered by the
/// same <see cref="GlobalView"/> as the agent's store. Files have no membership and no clock: every origin in them is
/// expected from its first record on, "now" is the end of the newest record, and nothing is still in flight, so the
/// coverage says only what the files themselves lack (an origin whose records stop early, or skip an epoch).
/// </summary>
internal sealed class RecordFileViewSource : IViewSource
{
    private static readonly long Earliest = Core.UnixMicros.FromInstant(DateTimeOffset.MinValue);
    private static readonly long Latest = Core.UnixMicros.FromInstant(DateTimeOffset.MaxValue);
    private readonly IReadOnlyList<EpochRecord> _records;

    /// <param name="records">Every record read, copies included (the view ignores them and counts them in its coverage).</param>
    /// <exception cref="InvalidDataException">A record lies outside the dates answers can name.</exception>
    public RecordFileViewSource(IReadOnlyList<EpochRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        if (records.Count == 0) throw new ArgumentException("No records to answer from.", nameof(records));
        // Answers print instants as dates: a record may claim any valid interval, but one no date can name cannot be shown.
        if (records.FirstOrDefault(r => r.Id.StartMicros < Earliest || r.Id.EndMicros > Latest) is { } odd)
            throw new InvalidDataException($"Record {odd.Id} claims an interval outside the years 1..9999.");
        _records = records;
        NowMicros = records.Max(r => r.Id.EndMicros);
        EpochLength = Core.UnixMicros.ToDuration(records.Min(r => r.Id.LengthMicros));
        Window = new ViewWindow(records.Min(r => r.Id.StartMicros), NowMicros);
    }

    /// <summary>From the start of the oldest record to the end of the newest: everything the files hold.</summary>
    public ViewWindow Window { get; }

    public long NowMicros { get; }

    /// <summary>The shortest record length in the files: coverage is counted in epochs of it.</summary>
    public TimeSpan EpochLength { get; }

    public IReadOnlyList<EpochRecord> RecordsOverlapping(long fromMicros, long toMicros) =>
        [.. _records.Where(r => r.Id.StartMicros < toMicros && fromMicros < r.Id.EndMicros)];

    public IReadOnlyList<ExpectedOrigin> ExpectedOrigins() =>
        [.. _records.GroupBy(r => r.Id.Origin, StringComparer.Ordinal)
            .Select(g => new ExpectedOrigin(g.Key, OriginLiveness.Alive) { SinceMicros = g.Min(r => r.Id.StartMicros) })];

    /// <summary>The view of <see cref="Window"/>, every record settled (no settle delay: a file's records are all there is).</summary>
    public GlobalView Build() =>
        GlobalView.Build(RecordsOverlapping(Window.FromMicros, Window.ToMicros), ExpectedOrigins(), NowMicros, Window,
            GlobalViewOptions.Default with { EpochLength = EpochLength, SettleDelay = TimeSpan.Zero });
}
