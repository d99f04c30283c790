using System.Globalization;
using System.Text.Json;
using Flowmesh.Agent.Output;

namespace Flowmesh.Agent.Cli;

/// <summary>
/// Writes <see cref="QueryRow"/>s as an aligned table (estimate shown as "1.21 GB ± 0.3 %"), RFC 4180 CSV with a
/// header, or JSON Lines, following the conventions of the flows writers (invariant culture, no quoting needed,
/// one JSON object per line).
/// </summary>
internal static class QueryOutput
{
    public static void Write(TextWriter output, OutputFormat format, IReadOnlyList<QueryRow> rows, string estimateHeader)
    {
        switch (format)
        {
            case OutputFormat.Json: WriteJson(output, rows); break;
            case OutputFormat.Csv: WriteCsv(output, rows); break;
            default: WriteTable(output, rows, estimateHeader); break;
        }
        output.Flush();
    }

    private static void WriteTable(TextWriter output, IReadOnlyList<QueryRow> rows, string estimateHeader)
    {
        if (rows.Count == 0)
        {
            output.Write("(no answers)\n");
            return;
        }
        var extras = rows[0].Extra.Where(c => c.InTable).Select(c => c.Name).ToList();
        var headers = new List<string> { "Key", estimateHeader };
        headers.AddRange(extras.Select(Title));
        var table = rows.Select(r =>
        {
            var cells = new List<string> { r.Key, HumanUnits.Bounded(r.Estimate, r.ErrorBound, r.Unit) };
            cells.AddRange(r.Extra.Where(c => c.InTable).Select(c => c.TableText ?? c.Text ?? HumanUnits.Grouped(c.Number ?? 0)));
            return cells;
        }).ToList();
        var widths = headers.Select((h, i) => Math.Max(h.Length, table.Max(row => row[i].Length))).ToArray();
        WriteTableRow(output, headers, widths);
        foreach (var row in table) WriteTableRow(output, row, widths);
    }

    private static void WriteTableRow(TextWriter output, IReadOnlyList<string> cells, int[] widths)
    {
        for (int c = 0; c < cells.Count; c++)
        {
            if (c > 0) output.Write("  ");
            // Key and text columns left, numbers right, the last column unpadded.
            bool last = c == cells.Count - 1;
            output.Write(c == 0 ? (last ? cells[c] : cells[c].PadRight(widths[c])) : cells[c].PadLeft(widths[c]));
        }
        output.Write('\n');
    }

    private static string Title(string name) => char.ToUpperInvariant(name[0]) + name[1..].Replace('_', ' ');

    private static void WriteCsv(TextWriter output, IReadOnlyList<QueryRow> rows)
    {
        var names = new List<string> { "key", "unit", "estimate", "error_bound" };
        if (rows.Count > 0) names.AddRange(rows[0].Extra.Select(c => c.Name));
        output.Write(string.Join(',', names));
        output.Write('\n');
        foreach (var r in rows)
        {
            var values = new List<string> { Csv(r.Key), r.Unit, Number(r.Estimate), Number(r.ErrorBound) };
            values.AddRange(r.Extra.Select(c => c.Number is double n ? Number(n) : Csv(c.Text ?? "")));
            output.Write(string.Join(',', values));
            output.Write('\n');
        }
    }

    private static string Csv(string text) =>
        text.IndexOfAny([',', '"', '\n', '\r']) < 0 ? text : $"\"{text.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";

    private static string Number(double value) =>
        value == Math.Floor(value) && Math.Abs(value) < 1e15 ? value.ToString("0", CultureInfo.InvariantCulture) : value.ToString("0.###", CultureInfo.InvariantCulture);

    private static void WriteJson(TextWriter output, IReadOnlyList<QueryRow> rows)
    {
        var options = new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        foreach (var r in rows)
        {
            using var buffer = new MemoryStream();
            using (var json = new Utf8JsonWriter(buffer, options))
            {
                json.WriteStartObject();
                json.WriteString("key", r.Key);
                json.WriteString("unit", r.Unit);
                json.WriteNumber("estimate", Math.Round(r.Estimate, 3));
                json.WriteNumber("error_bound", Math.Round(r.ErrorBound, 3));
                foreach (var c in r.Extra)
                {
                    if (c.Number is double n) json.WriteNumber(c.Name, Math.Round(n, 3));
                    else json.WriteString(c.Name, c.Text);
                }
                json.WriteEndObject();
            }
            output.Write(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
            output.Write('\n');
        }
    }
}
