using Flowmesh.Core.Epochs;
using Flowmesh.Core.Views;

namespace Flowmesh.Core.Detections;

/// <summary>
/// Runs every detection over the trailing windows that end now (scans over <see cref="DetectionOptions.ScanWindow"/>,
/// floods over <see cref="DetectionOptions.FloodWindow"/>, ...), keeps the first-contact history and the
/// deduplicated alert log. Meant to be called once per epoch by the agent. Not thread-safe.
/// </summary>
public sealed class DetectionEngine
{
    private readonly GlobalViewOptions _viewOptions;

    public DetectionEngine(DetectionOptions? options = null, GlobalViewOptions? viewOptions = null)
    {
        Options = options ?? DetectionOptions.Default;
        Options.Validate();
        _viewOptions = viewOptions ?? GlobalViewOptions.Default;
        _viewOptions.Validate();
        History = new DestinationHistory(Options.FirstContactCapacity, Options.FirstContactRetention);
        Log = new AlertLog(Options.AlertLogCapacity);
    }

    public DetectionOptions Options { get; }
    public DestinationHistory History { get; }
    public AlertLog Log { get; }

    /// <summary>The window lengths a round needs (scan, flood, heavy-hitter, first-contact), without repeats.</summary>
    public IReadOnlyList<TimeSpan> WindowLengths =>
        new[] { Options.ScanWindow, Options.FloodWindow, Options.HeavyHitterWindow, Options.FirstContactWindow }.Distinct().ToList();

    /// <summary>Evaluates every detection at <paramref name="nowMicros"/>; returns the alerts raised now (also recorded in <see cref="Log"/>).</summary>
    public IReadOnlyList<Alert> Evaluate(IEnumerable<EpochRecord> records, IEnumerable<ExpectedOrigin> expected, long nowMicros)
    {
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(expected);
        var recordList = records as IReadOnlyCollection<EpochRecord> ?? records.ToList();
        var expectedList = expected.ToList();
        var views = new Dictionary<TimeSpan, GlobalView>();
        return Evaluate(length =>
        {
            if (!views.TryGetValue(length, out var view))
                views[length] = view = GlobalView.Build(recordList, expectedList, nowMicros, ViewWindow.Last(length, nowMicros, _viewOptions.EpochLength), _viewOptions);
            return view;
        }, nowMicros);
    }

    /// <summary>
    /// Evaluates every detection on views the caller already built (one per <see cref="WindowLengths"/> entry, ending
    /// now), so the agent can share them with its API and dashboard instead of merging the same records twice.
    /// </summary>
    public IReadOnlyList<Alert> Evaluate(Func<TimeSpan, GlobalView> viewOfLength, long nowMicros)
    {
        ArgumentNullException.ThrowIfNull(viewOfLength);
        var alerts = new List<Alert>();
        alerts.AddRange(Detectors.Scans(viewOfLength(Options.ScanWindow), Options));
        alerts.AddRange(Detectors.Floods(viewOfLength(Options.FloodWindow), Options));
        alerts.AddRange(Detectors.HeavyHitters(viewOfLength(Options.HeavyHitterWindow), Options));
        alerts.AddRange(Detectors.FirstContacts(viewOfLength(Options.FirstContactWindow), Options, History));
        // Over the scan window: a PC that hides its scan is named by the scan alert and by this one, from the same view.
        alerts.AddRange(CrossCheckAlerts.Of(viewOfLength(Options.ScanWindow), Options));
        foreach (var alert in alerts) Log.Record(alert, nowMicros);
        return alerts;
    }
}
