using System.Globalization;
using Flowmesh.Core.Epochs;
using Flowmesh.Core.Packets;
using Flowmesh.Core.Views;

namespace Flowmesh.Core.Detections;

/// <summary>
/// The detections, each a pure function of a <see cref="GlobalView"/> (the merged window) and the options. They run
/// on the merged view, never per origin: a scan spread thinly over many PCs, none of which sees enough of it, adds up
/// in the merged spread sketch (an exact union) and crosses the threshold there.
/// </summary>
public static class Detectors
{
    /// <summary>Host scans (distinct hosts per source) and port scans (distinct ports per source-host pair).</summary>
    public static IReadOnlyList<Alert> Scans(GlobalView view, DetectionOptions options)
    {
        ArgumentNullException.ThrowIfNull(view);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return
        [
            .. SpreadAlerts(view, options, SpreadKind.DestinationsPerSource, options.HostScanHosts, AlertKind.HostScan, "distinct hosts", "hosts",
                (subject, value) => $"{subject} contacted {value} distinct hosts in {Minutes(view.Window)}"),
            .. SpreadAlerts(view, options, SpreadKind.PortsPerPair, options.PortScanPorts, AlertKind.PortScan, "distinct ports", "ports",
                (subject, value) => $"{subject}: {value} distinct ports contacted in {Minutes(view.Window)}"),
        ];
    }

    /// <summary>Floods: fan-in (distinct sources per destination) and packet or byte rate per destination.</summary>
    public static IReadOnlyList<Alert> Floods(GlobalView view, DetectionOptions options)
    {
        ArgumentNullException.ThrowIfNull(view);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var alerts = SpreadAlerts(view, options, SpreadKind.SourcesPerDestination, options.FloodSources, AlertKind.FloodSources, "distinct sources", "sources",
            (subject, value) => $"{subject} was contacted by {value} distinct sources in {Minutes(view.Window)}");

        double seconds = view.Totals().DataSpan.TotalSeconds;
        if (seconds <= 0) return alerts;
        var cav = view.Coverage.Caveats;
        var byDestination = new Dictionary<TrafficKey, List<(TrafficMeasure Measure, Measured Rate, double Threshold)>>();
        foreach (var (measure, threshold) in new[] { (TrafficMeasure.Packets, options.FloodPacketsPerSecond), (TrafficMeasure.Bytes, options.FloodBytesPerSecond) })
        {
            foreach (var item in view.Top(TopKind.Destinations, measure, int.MaxValue).Items)
            {
                var rate = Measured.Of(item.Weight.Value / seconds, item.Weight.ErrorBound / seconds, cav);
                if (rate.Value < threshold) continue;
                if (!byDestination.TryGetValue(item.Key, out var list)) byDestination[item.Key] = list = [];
                list.Add((measure, rate, threshold));
            }
        }
        foreach (var (key, rates) in byDestination.OrderBy(d => d.Key.Source))
        {
            string subject = key.ToString();
            var evidence = rates.Select(r => new AlertEvidence(r.Measure == TrafficMeasure.Packets ? "packet rate" : "byte rate", r.Rate, r.Threshold,
                r.Measure == TrafficMeasure.Packets ? "packets/s" : "B/s")).ToList();
            byte[] raw = AddressBytes(key.Source);
            var observedBy = view.ObservedByTop(TopKind.Destinations, rates[0].Measure, raw);
            string text = string.Join(", ", evidence.Select(e => $"{Number(e.Value)} {e.Unit} (threshold {e.Threshold.ToString("0.##", CultureInfo.InvariantCulture)})"));
            alerts.Add(NewAlert(view, options, AlertKind.FloodRate, subject, evidence, rates.Any(r => r.Rate.Lower >= r.Threshold), observedBy,
                $"{subject} received {text} over {Minutes(view.Window)}"));
        }
        return alerts;
    }

    /// <summary>Senders and receivers carrying at least <see cref="DetectionOptions.HeavyHitterShare"/> of the window's bytes.</summary>
    public static IReadOnlyList<Alert> HeavyHitters(GlobalView view, DetectionOptions options)
    {
        ArgumentNullException.ThrowIfNull(view);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var alerts = new List<Alert>();
        foreach (var (kind, role) in new[] { (TopKind.Talkers, "sender"), (TopKind.Destinations, "receiver") })
        {
            var top = view.Top(kind, TrafficMeasure.Bytes, int.MaxValue);
            double total = top.Total.Value;
            if (total <= 0 || total < options.HeavyHitterMinimumBytes) continue;
            foreach (var item in top.Items)
            {
                var share = item.Share;
                if (share.Value < options.HeavyHitterShare) continue;
                string subject = $"{role} {item.Label}";
                byte[] raw = AddressBytes(item.Key.Source);
                alerts.Add(NewAlert(view, options, AlertKind.HeavyHitter, subject,
                    [new AlertEvidence("share of bytes", share, options.HeavyHitterShare, "fraction"), new AlertEvidence("bytes", item.Weight, options.HeavyHitterShare * total, "B")],
                    share.Lower >= options.HeavyHitterShare, view.ObservedByTop(kind, TrafficMeasure.Bytes, raw),
                    $"{item.Label} {(role == "sender" ? "sent" : "received")} {share.Value:P1} (± {share.ErrorBound:P1}) of {total:0} B in {Minutes(view.Window)}"));
            }
        }
        return alerts;
    }

    /// <summary>
    /// Internal hosts contacting external addresses that <paramref name="history"/> has not seen, then teaches the
    /// history every external destination of the window. No alert until the history has learned for
    /// <see cref="DetectionOptions.FirstContactLearning"/>. Destinations are taken from every merged record's top
    /// pairs and top flows (per record, before merging, so each origin's 64 heaviest of every epoch are named): a
    /// contact too small to reach any origin's per-epoch top lists is not seen (docs/global-view.md).
    /// </summary>
    public static IReadOnlyList<Alert> FirstContacts(GlobalView view, DetectionOptions options, DestinationHistory history)
    {
        ArgumentNullException.ThrowIfNull(view);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(history);
        options.Validate();
        var contacted = new SortedDictionary<IpAddress128, SortedSet<IpAddress128>>();
        void Candidate(IpAddress128 internalHost, IpAddress128 destination)
        {
            if (!options.InternalPrefixes.Contains(internalHost) || options.InternalPrefixes.Contains(destination)) return;
            if (!contacted.TryGetValue(destination, out var sources)) contacted[destination] = sources = [];
            sources.Add(internalHost);
        }
        foreach (var pair in view.KeysListedByAnyRecord(TopKind.Pairs)) Candidate(pair.Source, pair.Destination);
        foreach (var flow in view.KeysListedByAnyRecord(TopKind.Flows)) Candidate(flow.Source, flow.Destination);

        history.StartLearning(view.NowMicros);
        bool learned = history.HasLearned(view.NowMicros, options.FirstContactLearning);
        var alerts = new List<Alert>();
        var cav = view.Coverage.Caveats;
        var destinations = view.Merged?.Top[EpochContents.TopIndex(TopKind.Destinations, TrafficMeasure.Bytes)];
        Span<byte> raw = stackalloc byte[TrafficKey.AddressLength];
        foreach (var (destination, sources) in contacted)
        {
            if (!learned || history.Contains(destination)) continue;
            TrafficKey.WriteAddress(raw, destination);
            var (lower, upper) = destinations!.Bounds(raw);
            string subject = destination.ToString();
            string who = string.Join(", ", sources.Take(5)) + (sources.Count > 5 ? $" and {sources.Count - 5} more" : "");
            alerts.Add(NewAlert(view, options, AlertKind.FirstContact, subject,
                [new AlertEvidence("bytes received", Measured.Between(lower, upper, cav), 0, "B"), new AlertEvidence("internal hosts", Measured.Of(sources.Count, 0, cav), 1, "hosts")],
                true, view.ObservedByTop(TopKind.Destinations, TrafficMeasure.Bytes, raw),
                $"first contact with external {subject} by {who} in {Minutes(view.Window)} (not seen before in the remembered history)"));
        }
        long seen = view.Coverage.NewestEndMicros ?? view.NowMicros;
        foreach (var destination in contacted.Keys) history.Observe(destination, seen);
        history.Prune(view.NowMicros);
        return alerts;
    }

    private static List<Alert> SpreadAlerts(GlobalView view, DetectionOptions options, SpreadKind kind, double configured, AlertKind alertKind, string name, string unit,
        Func<string, string, string> message)
    {
        var answer = view.Spread(kind, configured);
        double threshold = Math.Max(configured, options.FloorMultiple * answer.DetectionFloor);
        var alerts = new List<Alert>();
        foreach (var item in answer.Items.Where(i => i.Spread.Value >= threshold).OrderBy(i => i.Label, StringComparer.Ordinal))
        {
            var evidence = new List<AlertEvidence>
            {
                new(name, item.Spread, threshold, unit),
                new("detection floor", Measured.Of(answer.DetectionFloor, 0, view.Coverage.Caveats), configured, unit),
            };
            string raised = threshold > configured ? $"; threshold raised from {configured:0.##} to {threshold:0.#} by the sketch's noise floor" : "";
            // A scan from a PC that runs an agent: its records say which program (issue 17).
            string? program = kind == SpreadKind.SourcesPerDestination || view.ProgramOf(item.Key.Source) is not { } p ? null : GlobalView.Describe(p);
            alerts.Add(NewAlert(view, options, alertKind, item.Label, evidence, item.Spread.Lower >= threshold, item.ObservedBy,
                (program is null ? "" : $"{program}: ") + message(item.Label, Number(item.Spread)) + $" (threshold {threshold:0.##}{raised})") with { Program = program });
        }
        return alerts;
    }

    private static Alert NewAlert(GlobalView view, DetectionOptions options, AlertKind kind, string subject, IReadOnlyList<AlertEvidence> evidence, bool confirmed,
        IReadOnlyList<string> observedBy, string message) =>
        new(Alert.StableId(kind, subject, view.Window.ToMicros, options.DedupInterval), kind, subject, view.Window, evidence, confirmed, observedBy,
            view.Coverage.ContributingOrigins, view.Coverage.Summary, view.Coverage.Caveats, message);

    private static byte[] AddressBytes(IpAddress128 address)
    {
        byte[] raw = new byte[TrafficKey.AddressLength];
        TrafficKey.WriteAddress(raw, address);
        return raw;
    }

    private static string Number(Measured m) =>
        m.ErrorBound > 0 ? $"~{m.Value.ToString("0.#", CultureInfo.InvariantCulture)} ± {m.ErrorBound.ToString("0.#", CultureInfo.InvariantCulture)}" : m.Value.ToString("0.#", CultureInfo.InvariantCulture);

    private static string Minutes(ViewWindow window) =>
        window.Length.TotalMinutes >= 1 ? $"{window.Length.TotalMinutes:0.#} min" : $"{window.Length.TotalSeconds:0} s";
}
