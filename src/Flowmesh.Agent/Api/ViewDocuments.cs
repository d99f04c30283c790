using System.Globalization;
using Flowmesh.Core.Detections;
using Flowmesh.Core.Epochs;
using Flowmesh.Core.Views;

namespace Flowmesh.Agent.Api;

/// <summary>Turns the view engine's answers into the API's documents (names in lower case, instants in ISO-8601 UTC).</summary>
internal static class ViewDocuments
{
    /// <summary>An instant in the one text form of the whole API (<see cref="Core.UnixMicros.Format"/>).</summary>
    public static string Instant(long micros) => Core.UnixMicros.Format(micros);

    public static WindowDocument Window(ViewWindow window) => new(Instant(window.FromMicros), Instant(window.ToMicros));

    public static IReadOnlyList<string> CaveatNames(Caveats caveats) =>
        Enum.GetValues<Caveats>().Where(c => c != Caveats.None && caveats.HasFlag(c)).Select(Camel).ToList();

    public static MeasuredDocument Measured(Measured m) =>
        new(m.Value, m.ErrorBound, m.Lower, m.Upper, m.IsExact, m.CanStandBehind, CaveatNames(m.Caveats));

    public static CoverageDocument Coverage(ViewCoverage c) => new(
        c.Summary,
        c.IsComplete,
        c.Expected,
        c.Contributing,
        Named(c, CoverageStatus.Missing),
        Named(c, CoverageStatus.Late),
        Named(c, CoverageStatus.Gaps),
        c.NewestDataAge?.TotalSeconds,
        CaveatNames(c.Caveats),
        c.Conflicts,
        c.Records)
    {
        LeftToPeer = c.LeftToPeer.SectionsUsed == 0 ? null : new LeftToPeerDocument(c.LeftToPeer.MissingOwners, c.LeftToPeer.SectionsUsed,
            c.LeftToPeer.Bytes, c.LeftToPeer.Packets, c.LeftToPeer.UnlistedBytes, c.LeftToPeer.UnlistedPackets, c.LeftToPeer.StaleOwners),
        CountedTwice = c.LeftToPeer.CountedTwicePackets == 0 ? null
            : new CountedTwiceDocument(c.LeftToPeer.CountedTwiceBytes, c.LeftToPeer.CountedTwicePackets, c.LeftToPeer.LateOwners),
        CrossCheck = CrossCheckDocument.Of(c.CrossCheck),
        Zones = c.Zones is not { } z ? null : new ZoneCoverageDocument(z.RecordOrigins, z.Records, c.NewestRecordAge?.TotalSeconds, z.Zones, z.Aggregates,
            z.AggregatedRecords, z.AggregatedOrigins, c.NewestAggregateAge?.TotalSeconds, z.RecordsLeftOut, z.MissingFromAggregates, z.LeftSectionsResolved),
    };

    private static List<string> Named(ViewCoverage c, CoverageStatus status) =>
        c.Origins.Where(o => o.Status == status).Select(o => o.Origin).ToList();

    public static TrafficResponse Traffic(GlobalView view)
    {
        var totals = view.Totals();
        var series = view.Series();
        return new TrafficResponse(
            Window(view.Window),
            Coverage(view.Coverage),
            new TrafficTotals(Measured(totals.Bytes), Measured(totals.Packets), Measured(totals.Flows), Measured(totals.BitsPerSecond),
                Measured(totals.PacketsPerSecond), totals.DataSpan.TotalSeconds,
                totals.ByProtocol.Select(p => new ProtocolTraffic(Camel(p.Protocol), Measured(p.Bytes), Measured(p.Packets), Measured(p.Flows))).ToList())
            {
                Monitor = new MonitorTraffic(Measured(totals.Monitor.Bytes), Measured(totals.Monitor.Packets), Measured(totals.Monitor.Flows)),
            },
            series.Points.Select(p => new TrafficPoint(Instant(p.StartMicros), Core.UnixMicros.ToSeconds(p.LengthMicros), p.Bytes.Value, p.Packets.Value, p.Flows.Value,
                p.Origins, p.Complete, p.Settled)).ToList());
    }

    public static TopResponse Top(GlobalView view, TopKind kind, TrafficMeasure measure, int limit, bool excludeMonitor = false)
    {
        var ranked = view.Top(kind, measure, limit, excludeMonitor);
        // The other measure's list, to fill bytes and packets of each key where that list knows it.
        var other = view.Top(kind, measure == TrafficMeasure.Bytes ? TrafficMeasure.Packets : TrafficMeasure.Bytes, Math.Max(limit, 64), excludeMonitor);
        var otherByKey = new Dictionary<string, Measured>(StringComparer.Ordinal);
        foreach (var item in other.Items) otherByKey.TryAdd(item.Label, item.Weight);
        var entries = ranked.Items.Select(item =>
        {
            Measured? otherWeight = otherByKey.TryGetValue(item.Label, out var w) ? w : null;
            var bytes = measure == TrafficMeasure.Bytes ? item.Weight : otherWeight;
            var packets = measure == TrafficMeasure.Packets ? item.Weight : otherWeight;
            return new TopEntry(item.Label, Measured(item.Weight), bytes?.Value, bytes?.ErrorBound, packets?.Value, packets?.ErrorBound,
                item.Share.Value, item.Weight.IsExact, item.Weight.CanStandBehind);
        }).ToList();
        return new TopResponse(TopKindNames.Name(kind), Camel(measure), Window(view.Window), Coverage(ranked.Coverage), Measured(ranked.Total), ranked.UnlistedBound, entries)
        {
            Monitor = excludeMonitor ? "excluded" : "included",
        };
    }

    public static MatrixResponse Matrix(GlobalView view, string by, int ipv4Prefix, int ipv6Prefix, int limit)
    {
        var answer = view.Matrix(ipv4Prefix, ipv6Prefix, limit);
        var cells = answer.Cells.Select(c => new MatrixCellDocument(c.Source.ToString(), c.Destination.ToString(), c.Bytes.Value, c.Bytes.ErrorBound,
            c.Packets.Value, c.Packets.ErrorBound, c.Bytes.IsExact, c.Bytes.CanStandBehind)).ToList();
        return new MatrixResponse(by, ipv4Prefix, ipv6Prefix, Camel(answer.Basis), Window(view.Window), Coverage(answer.Coverage), cells,
            answer.UnattributedBytes.Upper, Measured(answer.UnattributedBytes));
    }

    public static DistinctResponse Distinct(GlobalView view) => new(
        Window(view.Window),
        Coverage(view.Coverage),
        Measured(view.Distinct(DistinctKind.Sources).Count),
        Measured(view.Distinct(DistinctKind.Destinations).Count),
        Measured(view.Distinct(DistinctKind.Flows).Count),
        Measured(view.Distinct(DistinctKind.Ports).Count));

    /// <summary>Fan-out (hosts per source, then ports per pair) or fan-in (sources per destination), at most <paramref name="limit"/> keys.</summary>
    public static SpreadResponse Spread(GlobalView view, bool fanIn, double? threshold, int limit)
    {
        SpreadKind[] kinds = fanIn ? [SpreadKind.SourcesPerDestination] : [SpreadKind.DestinationsPerSource, SpreadKind.PortsPerPair];
        var entries = kinds.Select(kind => view.Spread(kind, threshold)).SelectMany(answer => answer.Items.Select(item =>
            new SpreadEntry(item.Label, Camel(answer.Kind), SpreadUnit(answer.Kind), Measured(item.Spread), answer.Threshold, answer.DetectionFloor, item.ObservedBy)));
        return new SpreadResponse(fanIn ? "fanin" : "fanout", Window(view.Window), Coverage(view.Coverage), entries.Take(limit).ToList());
    }

    /// <summary>What a spread of <paramref name="kind"/> counts.</summary>
    public static string SpreadUnit(SpreadKind kind) => kind switch
    {
        SpreadKind.DestinationsPerSource => "hosts",
        SpreadKind.PortsPerPair => "ports",
        _ => "sources",
    };

    public static ContributionsResponse Contributions(GlobalView view)
    {
        var answer = view.Contributions();
        return new ContributionsResponse(Window(view.Window), Coverage(answer.Coverage), answer.Origins.Select(Node).ToList());
    }

    public static NodeContribution Node(OriginContribution o) => new(
        o.Origin,
        State(o.Coverage.State),
        Camel(o.Coverage.Status),
        Measured(o.Bytes),
        Measured(o.Packets),
        Measured(o.Flows),
        o.ShareOfBytes,
        o.Coverage.Records,
        o.Coverage.SettledEpochs,
        o.Coverage.CoveredEpochs,
        o.Coverage.MissingEpochs,
        o.Coverage.NewestDataAge?.TotalSeconds,
        new NodeCaptureHealth(o.Health.Frames, o.Health.KernelDrops, o.Health.DecodeFailures, o.Health.Evictions));

    public static AlertDocument Alert(AlertLogEntry entry)
    {
        var a = entry.Alert;
        return new AlertDocument(
            a.Id,
            Camel(a.Kind),
            a.Subject,
            a.Message,
            a.Confirmed,
            Window(a.Window),
            a.Evidence.Select(e => new EvidenceDocument(e.Name, e.Value.Value, e.Value.ErrorBound, e.Value.Lower, e.Value.Upper, e.Threshold, e.Unit, e.Value.IsExact)).ToList(),
            a.ObservedBy,
            a.ContributingOrigins,
            a.CoverageSummary,
            CaveatNames(a.Caveats),
            Instant(entry.FirstSeenMicros),
            Instant(entry.LastSeenMicros),
            entry.Evaluations) { Program = a.Program };
    }

    public static string? State(OriginLiveness? state) => state is { } s ? Camel(s) : null;

    internal static string Camel<T>(T value) where T : struct, Enum
    {
        string name = value.ToString();
        return char.ToLowerInvariant(name[0]) + name[1..];
    }
}
