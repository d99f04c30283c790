using System.Globalization;
using Flowmesh.Agent.Api;
using Flowmesh.Agent.Output;

namespace Flowmesh.Agent.Cli;

/// <summary>`flowmesh top programs`, `flowmesh top domains` and `flowmesh rtt` as a table with bounds and the coverage line, CSV or JSON (the API's document).</summary>
internal static class HostContextOutput
{
    public static void Programs(TextWriter output, TextWriter notes, OutputFormat format, ProgramsResponse programs)
    {
        bool bytes = programs.By == "bytes";
        string unit = bytes ? "B" : "";
        ViewOutput.Answer(output, notes, format, programs, ApiJsonContext.Default.ProgramsResponse, programs.Coverage, () =>
        {
            var csv = new TextTable(["program", "hashed", "by", "value", "error", "lower", "upper", "exact", "trusted", "origin", "pid", "user"]);
            foreach (var e in programs.Entries)
                csv.Add(e.Program, B(e.Hashed), programs.By, N(e.Value.Value), N(e.Value.Error), N(e.Value.Lower), N(e.Value.Upper), B(e.Value.Exact), B(e.Value.Trusted),
                    e.Origin ?? "", e.Pid?.ToString(CultureInfo.InvariantCulture) ?? "", e.User ?? "");
            return csv;
        }, () =>
        {
            var table = new TextTable(["#", "Program", bytes ? "Bytes" : "Destinations", "Mostly on"], 0, 2);
            foreach (var (e, i) in programs.Entries.Select((e, i) => (e, i)))
                table.Add((i + 1).ToString(CultureInfo.InvariantCulture), e.Program, BoundedNumber.Format(e.Value, unit), Who(e.Origin, e.Pid, e.User));
            table.WriteAligned(output);
            output.Write($"bytes of flows with a known program {BoundedNumber.Format(programs.AttributedBytes, "B")}; any program not listed ≤ {BoundedNumber.Plain(programs.UnlistedBound, "B")} by bytes\n");
            ViewOutput.CoverageLine(output, programs.Coverage, programs.Window);
        });
    }

    /// <summary>"pc-17 (pid 4242, user alice)".</summary>
    internal static string Who(string? origin, int? pid, string? user)
    {
        if (origin is null) return "";
        var details = new List<string>();
        if (pid is { } p) details.Add($"pid {p.ToString(CultureInfo.InvariantCulture)}");
        if (user is not null) details.Add($"user {user}");
        return details.Count == 0 ? origin : $"{origin} ({string.Join(", ", details)})";
    }

    public static void Domains(TextWriter output, TextWriter notes, OutputFormat format, DomainsResponse domains) =>
        ViewOutput.Answer(output, notes, format, domains, ApiJsonContext.Default.DomainsResponse, domains.Coverage, () =>
        {
            var csv = new TextTable(["name", "hashed", "queries", "error", "lower", "upper", "exact", "trusted"]);
            foreach (var e in domains.Entries)
                csv.Add(e.Name, B(e.Hashed), N(e.Queries.Value), N(e.Queries.Error), N(e.Queries.Lower), N(e.Queries.Upper), B(e.Queries.Exact), B(e.Queries.Trusted));
            return csv;
        }, () =>
        {
            var table = new TextTable(["#", "Name", "Queries"], 0, 2);
            foreach (var (e, i) in domains.Entries.Select((e, i) => (e, i)))
                table.Add((i + 1).ToString(CultureInfo.InvariantCulture), e.Name, BoundedNumber.Format(e.Queries, ""));
            table.WriteAligned(output);
            output.Write($"queries {N(domains.Queries)}, answered {N(domains.Answered)}, timed out {N(domains.TimedOut)}, error rate {(domains.ErrorRate * 100).ToString("0.##", CultureInfo.InvariantCulture)} %");
            if (domains.Rcodes.Count > 0) output.Write($" (rcodes {string.Join(", ", domains.Rcodes.Select(r => $"{r.Key}: {N(r.Value)}"))})");
            output.Write('\n');
            if (domains.LatencyMicros.Count > 0) output.Write($"answer latency {Quantiles(domains.LatencyMicros)}\n");
            output.Write($"any name not listed ≤ {BoundedNumber.Plain(domains.UnlistedBound, "")} queries\n");
            ViewOutput.CoverageLine(output, domains.Coverage, domains.Window);
        });

    public static void Rtt(TextWriter output, TextWriter notes, OutputFormat format, RttResponse rtt) =>
        ViewOutput.Answer(output, notes, format, rtt, ApiJsonContext.Default.RttResponse, rtt.Coverage, () =>
        {
            var csv = new TextTable(["subnet", "samples", "min_us", "max_us", "q", "value_us", "error_us", "lower_us", "upper_us"]);
            foreach (var s in Rows(rtt))
                foreach (var q in s.Quantiles)
                    csv.Add(s.Subnet ?? "", N(s.Samples), N(s.MinMicros), N(s.MaxMicros), N(q.Q), N(q.Micros.Value), N(q.Micros.Error), N(q.Micros.Lower), N(q.Micros.Upper));
            return csv;
        }, () =>
        {
            var table = new TextTable(["Subnet", "Samples", "Min", "p50", "p90", "p99", "Max"], 1, 2, 3, 4, 5, 6);
            foreach (var s in Rows(rtt))
                table.Add(s.Subnet ?? "", N(s.Samples), Ms(s.MinMicros), Q(s, 0.5), Q(s, 0.9), Q(s, 0.99), Ms(s.MaxMicros));
            table.WriteAligned(output);
            output.Write($"RTT of TCP flows by remote subnet, one sample per flow and epoch (smoothed RTT); quantiles within {(Core.Sketches.QuantileSketch.RelativeAccuracy * 100).ToString("0", CultureInfo.InvariantCulture)} % unless shown wider\n");
            ViewOutput.CoverageLine(output, rtt.Coverage, rtt.Window);
        });

    /// <summary>Listed subnets, then "other" and "all" (named so in the subnet column).</summary>
    private static IEnumerable<RttEntry> Rows(RttResponse rtt)
    {
        foreach (var s in rtt.Subnets) yield return s;
        if (rtt.Other is { } other) yield return other with { Subnet = "other subnets" };
        if (rtt.All is { } all) yield return all with { Subnet = "all" };
    }

    private static string Q(RttEntry s, double q) => s.Quantiles.FirstOrDefault(x => x.Q == q) is { } e ? Ms(e.Micros) : "";

    private static string Quantiles(IReadOnlyList<QuantileEntry> quantiles) =>
        string.Join(", ", quantiles.Select(q => $"p{(q.Q * 100).ToString("0.#", CultureInfo.InvariantCulture)} {Ms(q.Micros)}"));

    private static string Ms(MeasuredDocument m) =>
        $"{Ms(m.Value)}{(m.Error > 0 ? $" ±{(m.Error / 1000).ToString("0.###", CultureInfo.InvariantCulture)}" : "")}";

    private static string Ms(double micros) => $"{(micros / 1000).ToString("0.###", CultureInfo.InvariantCulture)} ms";

    private static string N(double value) => BoundedNumber.Csv(value);

    private static string B(bool value) => value ? "true" : "false";
}
