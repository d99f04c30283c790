using Flowmesh.Agent.Output;
using Flowmesh.Core.Epochs;

namespace Flowmesh.Agent.Cli;

/// <summary>Turns <see cref="EpochView"/> answers into <see cref="QueryRow"/>s, each with its error bound.</summary>
internal static class QueryAnswers
{
    public static List<QueryRow> Top(EpochView view, TopDimension dimension, TrafficMeasure measure, int limit)
    {
        string unit = measure == TrafficMeasure.Bytes ? "B" : "packets";
        return view.Top(dimension, measure, limit).Select(e => new QueryRow(e.Key.ToString(), unit, e.Estimate, e.ErrorBound)
        {
            Extra = [new("lower", e.Lower), new("upper", e.Upper)],
        }).ToList();
    }

    public static List<QueryRow> Distinct(EpochView view, DistinctKind kind)
    {
        var d = view.Distinct(kind);
        return [new QueryRow(kind.ToString().ToLowerInvariant(), "distinct", d.Estimate, d.ErrorBound) { Extra = [new("mode", null, d.Exact ? "exact" : "estimated")] }];
    }

    public static List<QueryRow> Spread(EpochView view, double? minimum, params SpreadKind[] kinds)
    {
        var rows = new List<QueryRow>();
        foreach (var kind in kinds)
        {
            double threshold = minimum ?? DefaultMinimum(view, kind);
            string unit = kind switch
            {
                SpreadKind.DestinationsPerSource => "hosts",
                SpreadKind.PortsPerPair => "ports",
                _ => "sources",
            };
            rows.AddRange(view.Spread(kind, threshold).Select(e => new QueryRow(e.Key.ToString(), unit, e.Estimate, e.ErrorBound)
            {
                Extra = [new("kind", null, unit), new("detection_floor", Math.Round(view.SpreadDetectionFloor(kind), 1), InTable: false)],
            }));
        }
        return rows;
    }

    /// <summary>Twice the detection floor (docs/sketches.md: keys reliably found), and never below 2.</summary>
    public static double DefaultMinimum(EpochView view, SpreadKind kind) => Math.Max(2, 2 * view.SpreadDetectionFloor(kind));

    public static List<QueryRow> Matrix(EpochView view, int limit)
    {
        var rows = view.Matrix(limit).Select(c =>
        {
            double bytes = (c.BytesLower + (double)c.BytesUpper) / 2, bytesBound = (c.BytesUpper - (double)c.BytesLower) / 2;
            double packets = (c.PacketsLower + (double)c.PacketsUpper) / 2, packetsBound = (c.PacketsUpper - (double)c.PacketsLower) / 2;
            return new QueryRow($"{c.Source} -> {c.Destination}", "B", bytes, bytesBound)
            {
                Extra =
                [
                    new("packets", packets, TableText: HumanUnits.Bounded(packets, packetsBound, "packets")),
                    new("packets_error_bound", packetsBound, InTable: false),
                ],
            };
        }).ToList();
        var (remainderBytes, remainderPackets) = view.MatrixRemainder;
        if (remainderBytes > 0 || remainderPackets > 0)
        {
            rows.Add(new QueryRow("(other cells)", "B", remainderBytes, 0)
            {
                Extra = [new("packets", remainderPackets, TableText: HumanUnits.Bounded(remainderPackets, 0, "packets")), new("packets_error_bound", 0, InTable: false)],
            });
        }
        return rows;
    }

    public static List<QueryRow> Totals(EpochView view)
    {
        var rows = new List<QueryRow> { TotalsRow("all", view.Totals.All) };
        foreach (var protocol in Enum.GetValues<ProtocolClass>())
            rows.Add(TotalsRow(protocol.ToString().ToLowerInvariant(), view.Totals[protocol]));
        return rows;
    }

    private static QueryRow TotalsRow(string name, TrafficCounters c) => new(name, "B", c.Bytes, 0)
    {
        Extra =
        [
            new("packets", c.Packets, TableText: HumanUnits.Bounded(c.Packets, 0, "packets")),
            new("flows", c.Flows, TableText: HumanUnits.Bounded(c.Flows, 0, "flows")),
        ],
    };

    /// <summary>"coverage: 2 origins, 14 records: a (6 x 10 s, 2026-... .. 2026-...), b (...)" plus capture health.</summary>
    public static string Coverage(EpochView view)
    {
        var byOrigin = view.Coverage.GroupBy(id => id.Origin).Select(g =>
        {
            var lengths = string.Join("+", g.GroupBy(id => id.LengthMicros).Select(l => $"{l.Count()} x {HumanUnits.Duration(TimeSpan.FromMicroseconds(l.Key))}"));
            return $"{g.Key} ({lengths}, {FlowFields.Timestamp(g.Min(id => id.StartMicros))} .. {FlowFields.Timestamp(g.Max(id => id.EndMicros))})";
        });
        var h = view.Health;
        return $"coverage: {view.Coverage.Select(id => id.Origin).Distinct().Count()} origins, {view.Coverage.Count} records: {string.Join(", ", byOrigin)}; " +
               $"capture: {h.Frames} frames, {h.KernelDrops} kernel drops, {h.DecodeFailures} undecodable, {h.Evictions} evictions, {h.ForeignPackets} packets left to other agents";
    }
}
