using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Flowmesh.Agent.Api;
using Flowmesh.Agent.Output;
using Flowmesh.Core.Epochs;

namespace Flowmesh.Agent.Cli;

/// <summary>
/// The global view's answers as a table (numbers with their bounds, then a coverage line), CSV (value, error, lower,
/// upper, exact per number) or JSON (exactly the API's document); beside CSV and JSON the coverage line goes to the
/// error stream so the data stays clean. The view commands and <c>flowmesh query</c> both write through here.
/// </summary>
internal static class ViewOutput
{
    public static void Top(TextWriter output, TextWriter notes, OutputFormat format, TopResponse top) =>
        Answer(output, notes, format, top, ApiJsonContext.Default.TopResponse, top.Coverage, () =>
        {
            var csv = new TextTable(["key", "measure", "value", "error", "lower", "upper", "exact", "trusted", "share", "bytes", "bytes_error", "packets", "packets_error"]);
            foreach (var e in top.Entries)
                csv.Add(e.Key, top.Measure, N(e.Value.Value), N(e.Value.Error), N(e.Value.Lower), N(e.Value.Upper), B(e.Exact), B(e.Trusted), N(e.Share),
                    BoundedNumber.Csv(e.Bytes), BoundedNumber.Csv(e.BytesError), BoundedNumber.Csv(e.Packets), BoundedNumber.Csv(e.PacketsError));
            return csv;
        }, () =>
        {
            bool bytes = top.Measure == "bytes";
            string unit = bytes ? "B" : "packets";
            var table = new TextTable(["#", Title(top.By), bytes ? "Bytes" : "Packets", "Share", bytes ? "Packets" : "Bytes"], 0, 2, 3, 4);
            foreach (var (e, i) in top.Entries.Select((e, i) => (e, i)))
                table.Add(I(i + 1), e.Key, BoundedNumber.Format(e.Value, unit), BoundedNumber.Plain(e.Share, "%"),
                    bytes ? BoundedNumber.Format(e.Packets, e.PacketsError, top.Coverage.Complete, "") : BoundedNumber.Format(e.Bytes, e.BytesError, top.Coverage.Complete, "B"));
            table.WriteAligned(output);
            output.Write($"total {BoundedNumber.Format(top.Total, unit)}; any {Singular(top.By)} not listed ≤ {BoundedNumber.Plain(top.UnlistedBound, unit)}{(top.Monitor == "excluded" ? "; Flowmesh's own traffic left out" : "")}\n");
            CoverageLine(output, top.Coverage, top.Window);
        });

    public static void Traffic(TextWriter output, TextWriter notes, OutputFormat format, TrafficResponse traffic) =>
        Answer(output, notes, format, traffic, ApiJsonContext.Default.TrafficResponse, traffic.Coverage, () =>
        {
            var csv = new TextTable(["start", "seconds", "bytes", "packets", "flows", "origins", "complete", "settled"]);
            foreach (var p in traffic.Series)
                csv.Add(p.Start, N(p.Seconds), N(p.Bytes), N(p.Packets), N(p.Flows), I(p.Origins), B(p.Complete), B(p.Settled));
            return csv;
        }, () =>
        {
            var t = traffic.Totals;
            output.Write($"bytes {BoundedNumber.Format(t.Bytes, "B")}, packets {BoundedNumber.Format(t.Packets, "")}, flows {BoundedNumber.Format(t.Flows, "")}\n");
            output.Write($"rate {BoundedNumber.Format(t.BitsPerSecond, "bit/s")}, {BoundedNumber.Format(t.PacketsPerSecond, "packets/s")} over {t.DataSeconds:0} s of data\n");
            foreach (var p in t.ByProtocol.Where(p => p.Packets.Value > 0))
                output.Write($"  {p.Protocol}: {BoundedNumber.Format(p.Bytes, "B")}, {BoundedNumber.Format(p.Packets, "packets")}\n");
            if (t.Monitor is { } monitor)
                output.Write($"  of which Flowmesh itself: {BoundedNumber.Format(monitor.Bytes, "B")}, {BoundedNumber.Format(monitor.Packets, "packets")}\n");
            var table = new TextTable(["Start", "Bytes", "Packets", "Flows", "Origins", "Note"], 1, 2, 3, 4);
            foreach (var p in traffic.Series)
                table.Add(p.Start, BoundedNumber.Format(p.Bytes, 0, p.Complete, true, !p.Complete, "B"), BoundedNumber.Format(p.Packets, 0, p.Complete, true, !p.Complete, ""),
                    BoundedNumber.Format(p.Flows, 0, p.Complete, true, !p.Complete, ""), I(p.Origins), p.Complete ? "" : p.Settled ? "incomplete" : "in flight");
            table.WriteAligned(output);
            CoverageLine(output, traffic.Coverage, traffic.Window);
        });

    public static void Matrix(TextWriter output, TextWriter notes, OutputFormat format, MatrixResponse matrix) =>
        Answer(output, notes, format, matrix, ApiJsonContext.Default.MatrixResponse, matrix.Coverage, () =>
        {
            var csv = new TextTable(["from", "to", "bytes", "bytes_error", "packets", "packets_error", "exact", "trusted"]);
            foreach (var c in matrix.Cells)
                csv.Add(c.From, c.To, N(c.Bytes), N(c.BytesError), N(c.Packets), N(c.PacketsError), B(c.Exact), B(c.Trusted));
            return csv;
        }, () =>
        {
            bool incomplete = !matrix.Coverage.Complete;
            var table = new TextTable(["From", "To", "Bytes", "Packets"], 2, 3);
            foreach (var c in matrix.Cells)
                table.Add(c.From, c.To, BoundedNumber.Format(c.Bytes, c.BytesError, c.Exact, c.Trusted, incomplete, "B"), BoundedNumber.Format(c.Packets, c.PacketsError, c.Exact, c.Trusted, incomplete, ""));
            table.WriteAligned(output);
            output.Write($"any cell not listed ≤ {BoundedNumber.Plain(matrix.UnattributedBytes, "B")} ({matrix.By}, from the {(matrix.Basis == "subnetMatrix" ? "subnet matrix" : "top pairs")})\n");
            CoverageLine(output, matrix.Coverage, matrix.Window);
        });

    /// <summary>Distinct counts; table and CSV show <paramref name="only"/> when given, JSON is always the whole document.</summary>
    public static void Distinct(TextWriter output, TextWriter notes, OutputFormat format, DistinctResponse distinct, DistinctKind? only = null)
    {
        var counts = new (DistinctKind Kind, MeasuredDocument Count)[]
        {
            (DistinctKind.Sources, distinct.Sources), (DistinctKind.Destinations, distinct.Destinations), (DistinctKind.Flows, distinct.Flows), (DistinctKind.Ports, distinct.Ports),
        }.Where(c => only is null || c.Kind == only).ToList();
        Answer(output, notes, format, distinct, ApiJsonContext.Default.DistinctResponse, distinct.Coverage, () =>
        {
            var csv = new TextTable(["kind", "value", "error", "lower", "upper", "exact", "trusted"]);
            foreach (var (kind, m) in counts) csv.Add(Name(kind), N(m.Value), N(m.Error), N(m.Lower), N(m.Upper), B(m.Exact), B(m.Trusted));
            return csv;
        }, () =>
        {
            var table = new TextTable(["Distinct", "Count"], 1);
            foreach (var (kind, m) in counts) table.Add(Name(kind), BoundedNumber.Format(m, ""));
            table.WriteAligned(output);
            CoverageLine(output, distinct.Coverage, distinct.Window);
        });
    }

    public static void Spread(TextWriter output, TextWriter notes, OutputFormat format, SpreadResponse spread) =>
        Answer(output, notes, format, spread, ApiJsonContext.Default.SpreadResponse, spread.Coverage, () =>
        {
            var csv = new TextTable(["key", "kind", "unit", "value", "error", "lower", "upper", "exact", "trusted", "threshold", "detection_floor", "origins"]);
            foreach (var e in spread.Entries)
                csv.Add(e.Key, e.Kind, e.Unit, N(e.Value.Value), N(e.Value.Error), N(e.Value.Lower), N(e.Value.Upper), B(e.Value.Exact), B(e.Value.Trusted),
                    N(e.Threshold), N(e.DetectionFloor), string.Join(' ', e.Origins));
            return csv;
        }, () =>
        {
            bool fanIn = spread.Direction == "fanin";
            var table = new TextTable(["#", fanIn ? "Destination" : "Source (-> destination)", fanIn ? "Fan-in" : "Fan-out", "Seen by"], 0, 2);
            foreach (var (e, i) in spread.Entries.Select((e, i) => (e, i)))
                table.Add(I(i + 1), e.Key, BoundedNumber.Format(e.Value, e.Unit), string.Join(", ", e.Origins));
            table.WriteAligned(output);
            foreach (var kind in spread.Entries.GroupBy(e => e.Unit))
                output.Write($"{kind.Key}: threshold {BoundedNumber.Plain(kind.First().Threshold, "")}, detection floor {BoundedNumber.Plain(kind.First().DetectionFloor, "")}\n");
            CoverageLine(output, spread.Coverage, spread.Window);
        });

    public static void Alerts(TextWriter output, OutputFormat format, AlertsResponse alerts)
    {
        switch (format)
        {
            case OutputFormat.Json:
                Json(output, alerts, ApiJsonContext.Default.AlertsResponse);
                return;
            case OutputFormat.Csv:
                var csv = new TextTable(["id", "kind", "subject", "confirmed", "first_seen", "last_seen", "evaluations", "evidence", "value", "error", "lower", "upper", "threshold", "unit", "origins", "coverage"]);
                foreach (var a in alerts.Alerts)
                foreach (var e in a.Evidence.DefaultIfEmpty())
                {
                    csv.Add(a.Id, a.Kind, a.Subject, B(a.Confirmed), a.FirstSeen, a.LastSeen, I(a.Evaluations), e?.Name ?? "",
                        e is null ? "" : N(e.Value), e is null ? "" : N(e.Error), e is null ? "" : N(e.Lower), e is null ? "" : N(e.Upper), e is null ? "" : N(e.Threshold),
                        e?.Unit ?? "", string.Join(' ', a.Origins), a.Coverage);
                }
                csv.WriteCsv(output);
                break;
            default:
                if (alerts.Alerts.Count == 0) output.Write($"no alerts in {alerts.Window.From} .. {alerts.Window.To}\n");
                foreach (var a in alerts.Alerts)
                {
                    output.Write($"{a.LastSeen}  {a.Kind}  {a.Subject}  {(a.Confirmed ? "confirmed" : "unconfirmed (within the sketch error)")}\n");
                    output.Write($"  {a.Summary}\n");
                    foreach (var e in a.Evidence)
                        output.Write($"  {e.Name}: {BoundedNumber.Format(e.Value, e.Error, e.Exact, true, false, e.Unit)} (threshold {BoundedNumber.Plain(e.Threshold, e.Unit)})\n");
                    output.Write($"  window {a.Window.From} .. {a.Window.To}; seen by {(a.Origins.Count == 0 ? "-" : string.Join(", ", a.Origins))}; coverage: {a.Coverage}\n");
                }
                output.Write($"{alerts.Alerts.Count} alert{(alerts.Alerts.Count == 1 ? "" : "s")}\n");
                break;
        }
        output.Flush();
    }

    /// <summary>The path every view answer takes: JSON is the document itself, CSV and the table are built from it.</summary>
    internal static void Answer<T>(TextWriter output, TextWriter notes, OutputFormat format, T document, JsonTypeInfo<T> type, CoverageDocument coverage, Func<TextTable> csv, Action table)
    {
        switch (format)
        {
            case OutputFormat.Json: Json(output, document, type); break;
            case OutputFormat.Csv: csv().WriteCsv(output); break;
            default: table(); break;
        }
        if (format != OutputFormat.Table) notes.WriteLine($"flowmesh: coverage: {coverage.Summary}");
        output.Flush();
    }

    internal static void CoverageLine(TextWriter output, CoverageDocument c, WindowDocument w)
    {
        output.Write($"coverage: {c.Summary} ({w.From} .. {w.To})");
        if (c.Missing.Count > 0) output.Write($"; missing: {string.Join(", ", c.Missing)}");
        if (c.Late.Count > 0) output.Write($"; late: {string.Join(", ", c.Late)}");
        if (c.Zones is { MissingFromAggregates.Count: > 0 } z) output.Write($"; missing from zone aggregates: {string.Join(", ", z.MissingFromAggregates)}");
        output.Write('\n');
    }

    private static void Json<T>(TextWriter output, T value, JsonTypeInfo<T> type)
    {
        output.Write(JsonSerializer.Serialize(value, type));
        output.Write('\n');
        output.Flush();
    }

    private static string Title(string by) => char.ToUpperInvariant(Singular(by)[0]) + Singular(by)[1..];

    private static string Singular(string by) => TopKindNames.TryParse(by, out var kind) ? TopKindNames.Singular(kind) : by;

    private static string Name(DistinctKind kind) => kind.ToString().ToLowerInvariant();

    private static string N(double value) => BoundedNumber.Csv(value);

    private static string I(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string B(bool value) => value ? "true" : "false";
}
