namespace Flowmesh.Agent.Output;

/// <summary>
/// The one table and CSV writer of the CLI: rows of text cells under a header, written either aligned for people
/// (columns two spaces apart, every column as wide as its widest cell, numbers right-aligned, no trailing blanks) or
/// as RFC 4180 CSV (a header row, a field quoted only when it holds a comma, quote or line break). A command that
/// shows other columns in CSV than in its table builds one table for each.
/// </summary>
internal sealed class TextTable
{
    private readonly string[] _headers;
    private readonly bool[] _rightAligned;
    private readonly List<string[]> _rows = [];

    /// <param name="headers">Column titles (CSV: field names).</param>
    /// <param name="rightAligned">Indexes of the columns aligned right in the table (numbers); ignored by CSV.</param>
    public TextTable(IReadOnlyList<string> headers, params int[] rightAligned)
    {
        _headers = [.. headers];
        _rightAligned = new bool[_headers.Length];
        foreach (int i in rightAligned) _rightAligned[i] = true;
    }

    public int Count => _rows.Count;

    public void Add(params string[] cells)
    {
        if (cells.Length != _headers.Length)
            throw new ArgumentException($"A row of this table has {_headers.Length} cells, got {cells.Length}.", nameof(cells));
        _rows.Add(cells);
    }

    public void Clear() => _rows.Clear();

    public void WriteAligned(TextWriter output)
    {
        var widths = new int[_headers.Length];
        for (int c = 0; c < widths.Length; c++)
        {
            widths[c] = _headers[c].Length;
            foreach (var row in _rows) widths[c] = Math.Max(widths[c], row[c].Length);
        }
        WriteAlignedRow(output, _headers, widths);
        foreach (var row in _rows) WriteAlignedRow(output, row, widths);
    }

    private void WriteAlignedRow(TextWriter output, string[] cells, int[] widths)
    {
        var line = new System.Text.StringBuilder();
        for (int c = 0; c < cells.Length; c++)
        {
            if (c > 0) line.Append("  ");
            // A left-aligned last column needs no padding: nothing follows it.
            line.Append(_rightAligned[c] ? cells[c].PadLeft(widths[c]) : c == cells.Length - 1 ? cells[c] : cells[c].PadRight(widths[c]));
        }
        output.Write(line.ToString().TrimEnd());
        output.Write('\n');
    }

    public void WriteCsv(TextWriter output)
    {
        WriteCsvRow(output, _headers);
        foreach (var row in _rows) WriteCsvRow(output, row);
    }

    /// <summary>One CSV line, for writers that stream rows instead of holding them.</summary>
    public static void WriteCsvRow(TextWriter output, IEnumerable<string> fields)
    {
        output.Write(string.Join(',', fields.Select(CsvField)));
        output.Write('\n');
    }

    public static string CsvField(string text) =>
        text.IndexOfAny([',', '"', '\n', '\r']) < 0 ? text : $"\"{text.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";
}
