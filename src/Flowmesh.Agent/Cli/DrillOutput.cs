using System.Globalization;
using System.Text.Json;
using Flowmesh.Agent.Api;
using Flowmesh.Agent.Output;

namespace Flowmesh.Agent.Cli;

/// <summary>
/// Drill-down answers: exact counts, so no bounds. Table and CSV end with who was asked and who answered (CSV: on
/// the error stream); an origin that did not answer means its flows are missing, and the line says so.
/// </summary>
internal static class DrillOutput
{
    public static void Write(TextWriter output, TextWriter notes, OutputFormat format, FlowsResponse flows)
    {
        switch (format)
        {
            case OutputFormat.Json:
                output.Write(JsonSerializer.Serialize(flows, ApiJsonContext.Default.FlowsResponse));
                output.Write('\n');
                break;
            case OutputFormat.Csv:
                output.Write("origin,protocol,source,source_port,destination,destination_port,bytes_out,packets_out,bytes_in,packets_in,first,last,tcp_flags\n");
                foreach (var f in flows.Flows)
                    output.Write($"{Csv(f.Origin)},{f.Protocol},{f.Source},{I(f.SourcePort)},{f.Destination},{I(f.DestinationPort)},{I(f.BytesOut)},{I(f.PacketsOut)},{I(f.BytesIn)},{I(f.PacketsIn)},{f.First},{f.Last},{Csv(f.TcpFlags ?? "")}\n");
                notes.WriteLine($"flowmesh: {Summary(flows)}");
                break;
            default:
                var rows = flows.Flows.Select(f => new[]
                {
                    f.Origin, f.Protocol, Endpoint(f.Source, f.SourcePort, f.Protocol), Endpoint(f.Destination, f.DestinationPort, f.Protocol),
                    I(f.BytesOut), I(f.PacketsOut), I(f.BytesIn), I(f.PacketsIn), f.TcpFlags ?? "", f.First, f.Last,
                }).ToList();
                Table(output, ["Origin", "Proto", "Source", "Destination", "Bytes out", "Pkts out", "Bytes in", "Pkts in", "Flags", "First", "Last"], rows, [4, 5, 6, 7]);
                output.Write($"{Summary(flows)}\n");
                break;
        }
        output.Flush();
    }

    internal static string Summary(FlowsResponse flows)
    {
        string text = $"{flows.Flows.Count} flows of {flows.Address} ({flows.Window.From} .. {flows.Window.To}){(flows.Truncated ? ", more not shown (raise --limit)" : "")}; " +
            $"asked {flows.Asked.Count}, answered {flows.Answered.Count}";
        if (flows.Failed.Count > 0) text += $"; no answer from {string.Join(", ", flows.Failed)} (their flows are missing)";
        if (flows.NotAsked.Count > 0) text += $"; not reachable (dead or left): {string.Join(", ", flows.NotAsked)}";
        if (flows.WithoutFlowLog.Count > 0) text += $"; no flow log on {string.Join(", ", flows.WithoutFlowLog)}";
        return text;
    }

    private static string Endpoint(string address, int port, string protocol) =>
        protocol is "tcp" or "udp" ? (address.Contains(':', StringComparison.Ordinal) ? $"[{address}]:{I(port)}" : $"{address}:{I(port)}") : address;

    private static void Table(TextWriter output, string[] headers, List<string[]> rows, int[] rightAligned)
    {
        var widths = headers.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();
        void Row(string[] row) => output.Write(string.Join("  ", row.Select((c, i) =>
            rightAligned.Contains(i) ? c.PadLeft(widths[i]) : i == row.Length - 1 ? c : c.PadRight(widths[i]))).TrimEnd() + "\n");
        Row(headers);
        foreach (var row in rows) Row(row);
    }

    private static string I(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Csv(string text) =>
        text.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : text;
}
