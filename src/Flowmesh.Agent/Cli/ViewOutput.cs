using System.Text.Json;
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
    public static void Top(TextWriter output, TextWriter notes, OutputFormat format, TopResponse top)
    {
        string unit = top.Measure == "bytes" ? "B" : "packets";
        switch (format)
        {
            case OutputFormat.Json:
                Json(output, top, ApiJsonContext.Default.TopResponse);
                CoverageNote(notes, top.Coverage);
                return;
            case OutputFormat.Csv:
                output.Write("key,measure,value,error,lower,upper,exact,trusted,share,bytes,bytes_error,packets,packets_error\n");
                foreach (var e in top.Entries)
                    output.Write($"{Csv(e.Key)},{top.Measure},{N(e.Value.Value)},{N(e.Value.Error)},{N(e.Value.Lower)},{N(e.Value.Upper)},{B(e.Exact)},{B(e.Trusted)},{N(e.Share)},{BoundedNumber.Csv(e.Bytes)},{BoundedNumber.Csv(e.BytesError)},{BoundedNumber.Csv(e.Packets)},{BoundedNumber.Csv(e.PacketsError)}\n");
                CoverageNote(notes, top.Coverage);
                break;
            default:
                var rows = top.Entries.Select((e, i) => new[]
                {
                    (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), e.Key, BoundedNumber.Format(e.Value, unit),
                    BoundedNumber.Plain(e.Share, "%"),
                    top.Measure == "bytes" ? BoundedNumber.Format(e.Packets, e.PacketsError, top.Coverage.Complete, "") : BoundedNumber.Format(e.Bytes, e.BytesError, top.Coverage.Complete, "B"),
                }).ToList();
                Table(output, ["#", Title(top.By), top.Measure == "bytes" ? "Bytes" : "Packets", "Share", top.Measure == "bytes" ? "Packets" : "Bytes"], rows, rightAligned: [0, 2, 3, 4]);
                output.Write($"total {BoundedNumber.Format(top.Total, unit)}; any {Singular(top.By)} not listed ≤ {BoundedNumber.Plain(top.UnlistedBound, unit)}{(top.Monitor == "excluded" ? "; Flowmesh's own traffic left out" : "")}\n");
                CoverageLine(output, top.Coverage, top.Window);
                break;
        }
        output.Flush();
    }

    public static void Traffic(TextWriter output, TextWriter notes, OutputFormat format, TrafficResponse traffic)
    {
        switch (format)
        {
            case OutputFormat.Json:
                Json(output, traffic, ApiJsonContext.Default.TrafficResponse);
                CoverageNote(notes, traffic.Coverage);
                return;
            case OutputFormat.Csv:
                output.Write("start,seconds,bytes,packets,flows,origins,complete,settled\n");
                foreach (var p in traffic.Series)
                    output.Write($"{p.Start},{N(p.Seconds)},{N(p.Bytes)},{N(p.Packets)},{N(p.Flows)},{p.Origins},{B(p.Complete)},{B(p.Settled)}\n");
                CoverageNote(notes, traffic.Coverage);
                break;
            default:
                var t = traffic.Totals;
                output.Write($"bytes {BoundedNumber.Format(t.Bytes, "B")}, packets {BoundedNumber.Format(t.Packets, "")}, flows {BoundedNumber.Format(t.Flows, "")}\n");
                output.Write($"rate {BoundedNumber.Format(t.BitsPerSecond, "bit/s")}, {BoundedNumber.Format(t.PacketsPerSecond, "packets/s")} over {t.DataSeconds:0} s of data\n");
                foreach (var p in t.ByProtocol.Where(p => p.Packets.Value > 0))
                    output.Write($"  {p.Protocol}: {BoundedNumber.Format(p.Bytes, "B")}, {BoundedNumber.Format(p.Packets, "packets")}\n");
                if (t.Monitor is { } monitor)
                    output.Write($"  of which Flowmesh itself: {BoundedNumber.Format(monitor.Bytes, "B")}, {BoundedNumber.Format(monitor.Packets, "packets")}\n");
                var rows = traffic.Series.Select(p => new[]
                {
                    p.Start, BoundedNumber.Format(p.Bytes, 0, p.Complete, true, !p.Complete, "B"), BoundedNumber.Format(p.Packets, 0, p.Complete, true, !p.Complete, ""),
                    BoundedNumber.Format(p.Flows, 0, p.Complete, true, !p.Complete, ""), p.Origins.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    p.Complete ? "" : p.Settled ? "incomplete" : "in flight",
                }).ToList();
                Table(output, ["Start", "Bytes", "Packets", "Flows", "Origins", "Note"], rows, rightAligned: [1, 2, 3, 4]);
                CoverageLine(output, traffic.Coverage, traffic.Window);
                break;
        }
        output.Flush();
    }

    public static void Matrix(TextWriter output, TextWriter notes, OutputFormat format, MatrixResponse matrix)
    {
        switch (format)
        {
            case OutputFormat.Json:
                Json(output, matrix, ApiJsonContext.Default.MatrixResponse);
                CoverageNote(notes, matrix.Coverage);
                return;
            case OutputFormat.Csv:
                output.Write("from,to,bytes,bytes_error,packets,packets_error,exact,trusted\n");
                foreach (var c in matrix.Cells)
                    output.Write($"{c.From},{c.To},{N(c.Bytes)},{N(c.BytesError)},{N(c.Packets)},{N(c.PacketsError)},{B(c.Exact)},{B(c.Trusted)}\n");
                CoverageNote(notes, matrix.Coverage);
                break;
            default:
                var rows = matrix.Cells.Select(c => new[]
                {
                    c.From, c.To, BoundedNumber.Format(c.Bytes, c.BytesError, c.Exact, c.Trusted, !matrix.Coverage.Complete, "B"),
                    BoundedNumber.Format(c.Packets, c.PacketsError, c.Exact, c.Trusted, !matrix.Coverage.Complete, ""),
                }).ToList();
                Table(output, ["From", "To", "Bytes", "Packets"], rows, rightAligned: [2, 3]);
                output.Write($"any cell not listed ≤ {BoundedNumber.Plain(matrix.UnattributedBytes, "B")} ({matrix.By}, from the {(matrix.Basis == "subnetMatrix" ? "subnet matrix" : "top pairs")})\n");
                CoverageLine(output, matrix.Coverage, matrix.Window);
                break;
        }
        output.Flush();
    }

    /// <summary>Distinct counts; table and CSV show <paramref name="only"/> when given, JSON is always the whole document.</summary>
    public static void Distinct(TextWriter output, TextWriter notes, OutputFormat format, DistinctResponse distinct, DistinctKind? only = null)
    {
        var counts = new (DistinctKind Kind, MeasuredDocument Count)[]
        {
            (DistinctKind.Sources, distinct.Sources), (DistinctKind.Destinations, distinct.Destinations), (DistinctKind.Flows, distinct.Flows), (DistinctKind.Ports, distinct.Ports),
        }.Where(c => only is null || c.Kind == only).ToList();
        switch (format)
        {
            case OutputFormat.Json:
                Json(output, distinct, ApiJsonContext.Default.DistinctResponse);
                CoverageNote(notes, distinct.Coverage);
                return;
            case OutputFormat.Csv:
                output.Write("kind,value,error,lower,upper,exact,trusted\n");
                foreach (var (kind, m) in counts)
                    output.Write($"{Name(kind)},{N(m.Value)},{N(m.Error)},{N(m.Lower)},{N(m.Upper)},{B(m.Exact)},{B(m.Trusted)}\n");
                CoverageNote(notes, distinct.Coverage);
                break;
            default:
                Table(output, ["Distinct", "Count"], counts.Select(c => new[] { Name(c.Kind), BoundedNumber.Format(c.Count, "") }).ToList(), rightAligned: [1]);
                CoverageLine(output, distinct.Coverage, distinct.Window);
                break;
        }
        output.Flush();
    }

    public static void Spread(TextWriter output, TextWriter notes, OutputFormat format, SpreadResponse spread)
    {
        switch (format)
        {
            case OutputFormat.Json:
                Json(output, spread, ApiJsonContext.Default.SpreadResponse);
                CoverageNote(notes, spread.Coverage);
                return;
            case OutputFormat.Csv:
                output.Write("key,kind,unit,value,error,lower,upper,exact,trusted,threshold,detection_floor,origins\n");
                foreach (var e in spread.Entries)
                    output.Write($"{Csv(e.Key)},{e.Kind},{e.Unit},{N(e.Value.Value)},{N(e.Value.Error)},{N(e.Value.Lower)},{N(e.Value.Upper)},{B(e.Value.Exact)},{B(e.Value.Trusted)},{N(e.Threshold)},{N(e.DetectionFloor)},{Csv(string.Join(' ', e.Origins))}\n");
                CoverageNote(notes, spread.Coverage);
                break;
            default:
                var rows = spread.Entries.Select((e, i) => new[]
                {
                    (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), e.Key, BoundedNumber.Format(e.Value, e.Unit), string.Join(", ", e.Origins),
                }).ToList();
                Table(output, ["#", spread.Direction == "fanin" ? "Destination" : "Source (-> destination)", spread.Direction == "fanin" ? "Fan-in" : "Fan-out", "Seen by"], rows, rightAligned: [0, 2]);
                foreach (var kind in spread.Entries.GroupBy(e => e.Unit))
                    output.Write($"{kind.Key}: threshold {BoundedNumber.Plain(kind.First().Threshold, "")}, detection floor {BoundedNumber.Plain(kind.First().DetectionFloor, "")}\n");
                CoverageLine(output, spread.Coverage, spread.Window);
                break;
        }
        output.Flush();
    }

    private static string Name(DistinctKind kind) => kind.ToString().ToLowerInvariant();

    public static void Alerts(TextWriter output, OutputFormat format, AlertsResponse alerts)
    {
        switch (format)
        {
            case OutputFormat.Json:
                Json(output, alerts, ApiJsonContext.Default.AlertsResponse);
                return;
            case OutputFormat.Csv:
                output.Write("id,kind,subject,confirmed,first_seen,last_seen,evaluations,evidence,value,error,lower,upper,threshold,unit,origins,coverage\n");
                foreach (var a in alerts.Alerts)
                foreach (var e in a.Evidence.DefaultIfEmpty())
                    output.Write($"{a.Id},{a.Kind},{Csv(a.Subject)},{B(a.Confirmed)},{a.FirstSeen},{a.LastSeen},{a.Evaluations},{Csv(e?.Name ?? "")},{(e is null ? "" : N(e.Value))},{(e is null ? "" : N(e.Error))},{(e is null ? "" : N(e.Lower))},{(e is null ? "" : N(e.Upper))},{(e is null ? "" : N(e.Threshold))},{Csv(e?.Unit ?? "")},{Csv(string.Join(' ', a.Origins))},{Csv(a.Coverage)}\n");
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

    private static void CoverageLine(TextWriter output, CoverageDocument c, WindowDocument w)
    {
        output.Write($"coverage: {c.Summary} ({w.From} .. {w.To})");
        if (c.Missing.Count > 0) output.Write($"; missing: {string.Join(", ", c.Missing)}");
        if (c.Late.Count > 0) output.Write($"; late: {string.Join(", ", c.Late)}");
        output.Write('\n');
    }

    private static void CoverageNote(TextWriter notes, CoverageDocument c) => notes.WriteLine($"flowmesh: coverage: {c.Summary}");

    private static void Table(TextWriter output, string[] headers, List<string[]> rows, int[] rightAligned)
    {
        var widths = headers.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();
        void Row(string[] row) => output.Write(string.Join("  ", row.Select((c, i) =>
            rightAligned.Contains(i) ? c.PadLeft(widths[i]) : i == row.Length - 1 ? c : c.PadRight(widths[i]))).TrimEnd() + "\n");
        Row(headers);
        foreach (var row in rows) Row(row);
    }

    private static void Json<T>(TextWriter output, T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
    {
        output.Write(JsonSerializer.Serialize(value, type));
        output.Write('\n');
        output.Flush();
    }

    private static string Title(string by) => char.ToUpperInvariant(Singular(by)[0]) + Singular(by)[1..];

    private static string Singular(string by) => TopKindNames.TryParse(by, out var kind) ? TopKindNames.Singular(kind) : by;

    private static string N(double value) => BoundedNumber.Csv(value);

    private static string B(bool value) => value ? "true" : "false";

    private static string Csv(string text) =>
        text.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : text;
}
