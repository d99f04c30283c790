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
                var csv = new TextTable(["origin", "protocol", "source", "source_port", "destination", "destination_port", "bytes_out", "packets_out", "bytes_in", "packets_in", "first", "last", "tcp_flags",
                    "pid", "program", "user", "rtt_us", "retransmits", "dns_name"]);
                foreach (var f in flows.Flows)
                {
                    csv.Add(f.Origin, f.Protocol, f.Source, I(f.SourcePort), f.Destination, I(f.DestinationPort), I(f.BytesOut), I(f.PacketsOut), I(f.BytesIn), I(f.PacketsIn), f.First, f.Last, f.TcpFlags ?? "",
                        f.Process is { } p ? I(p.Pid) : "", f.Process?.Name ?? "", f.Process?.User ?? "", f.RttMicros is { } rttUs ? I(rttUs) : "", f.Retransmits is { } r ? I(r) : "", f.DnsName ?? "");
                }
                csv.WriteCsv(output);
                notes.WriteLine($"flowmesh: {Summary(flows)}");
                break;
            default:
                // Host context columns appear only when some origin knew any: most answers stay as wide as before.
                bool program = flows.Flows.Any(f => f.Process is not null), names = flows.Flows.Any(f => f.DnsName is not null), rtt = flows.Flows.Any(f => f.RttMicros is not null);
                var table = new TextTable(["Origin", "Proto", "Source", "Destination", "Bytes out", "Pkts out", "Bytes in", "Pkts in", "Flags", "First", "Last",
                    .. program ? new[] { "Program" } : [], .. rtt ? new[] { "RTT ms" } : [], .. names ? new[] { "DNS name" } : []], 4, 5, 6, 7);
                foreach (var f in flows.Flows)
                {
                    table.Add([f.Origin, f.Protocol, FlowFields.Endpoint(f.Source, f.SourcePort, HasPorts(f.Protocol)), FlowFields.Endpoint(f.Destination, f.DestinationPort, HasPorts(f.Protocol)),
                        I(f.BytesOut), I(f.PacketsOut), I(f.BytesIn), I(f.PacketsIn), f.TcpFlags ?? "", f.First, f.Last,
                        .. program ? new[] { ProgramText(f.Process) } : [],
                        .. rtt ? new[] { f.RttMicros is { } us ? (us / 1000.0).ToString("0.###", CultureInfo.InvariantCulture) : "" } : [],
                        .. names ? new[] { f.DnsName ?? "" } : []]);
                }
                table.WriteAligned(output);
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

    /// <summary>"curl (pid 4242, alice)": the program, its pid and, when known, its user.</summary>
    internal static string ProgramText(ProcessDocument? process) =>
        process is null ? "" : $"{process.Name} (pid {I(process.Pid)}{(process.User is null ? "" : $", {process.User}")})";

    /// <summary>The flow log's protocol names with ports (docs/api.md: tcp, udp).</summary>
    private static bool HasPorts(string protocol) => protocol is "tcp" or "udp";

    private static string I(long value) => value.ToString(CultureInfo.InvariantCulture);
}
