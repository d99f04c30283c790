using System.CommandLine;
using System.Globalization;
using System.Text;
using Flowmesh.Agent.Api;
using Flowmesh.Agent.Output;
using Flowmesh.Core.Epochs;
using Flowmesh.Core.Views;

namespace Flowmesh.Agent.Cli;

/// <summary>
/// `flowmesh top | traffic | matrix | alerts`: the global view as an agent sees it, over its API. Each takes a window
/// (--window 5m, or --from/--to), --format table|csv|json and --agent URL, like `members`.
/// </summary>
internal static class ViewCommands
{
    public static Command Top()
    {
        var what = new Argument<string>("what") { Description = string.Join(", ", TopKindNames.All) + ", programs (the programs behind flows) or domains (DNS names looked up)." };
        what.AcceptOnlyFromAmong([.. TopKindNames.All, "programs", "domains"]);
        var limit = new Option<int>("--limit") { Description = "How many entries (1-64).", DefaultValueFactory = _ => 10 };
        var measure = new Option<string>("--measure") { Description = "Rank by bytes or packets; programs by bytes or destinations (distinct remote addresses).", DefaultValueFactory = _ => "bytes" };
        measure.AcceptOnlyFromAmong("bytes", "packets", "destinations");
        var excludeMonitor = new Option<bool>("--exclude-monitor")
        {
            Description = "Leave out Flowmesh's own traffic (gossip, record sync, drill-down, discovery); talkers, destinations and pairs only. By default it is included like any other traffic.",
        };
        var common = new CommonOptions();
        var command = new Command("top", "The heaviest talkers, destinations, pairs, ports or flows of the whole network, with error bounds.") { what, limit, measure, excludeMonitor };
        common.AddTo(command);
        command.SetAction(parse =>
        {
            int n = parse.GetValue(limit);
            if (n is < 1 or > ViewEndpoints.MaxTopLimit) return Fail(ExitCodes.UsageError, $"--limit must be from 1 to {ViewEndpoints.MaxTopLimit}.");
            bool exclude = parse.GetValue(excludeMonitor);
            string m = parse.GetValue(measure)!;
            if (parse.GetValue(what) is "programs" or "domains")
            {
                if (exclude) return Fail(ExitCodes.UsageError, "--exclude-monitor applies to talkers, destinations and pairs.");
                if (parse.GetValue(what) == "domains")
                    return m != "bytes" ? Fail(ExitCodes.UsageError, "domains are ranked by queries; leave out --measure.")
                        : common.Run(parse, $"api/v1/domains?limit={n}", ApiJsonContext.Default.DomainsResponse, (stdout, format, d) => HostContextOutput.Domains(stdout, Console.Error, format, d));
                if (m == "packets") return Fail(ExitCodes.UsageError, "programs are ranked by bytes or destinations.");
                return common.Run(parse, $"api/v1/programs?by={m}&limit={n}", ApiJsonContext.Default.ProgramsResponse, (stdout, format, p) => HostContextOutput.Programs(stdout, Console.Error, format, p));
            }
            if (m == "destinations") return Fail(ExitCodes.UsageError, "--measure destinations ranks programs only.");
            if (exclude && parse.GetValue(what) is "flows" or "ports")
                return Fail(ExitCodes.UsageError, "--exclude-monitor applies to talkers, destinations and pairs.");
            return common.Run(parse, $"api/v1/top?by={parse.GetValue(what)}&measure={parse.GetValue(measure)}&limit={n}{(exclude ? "&monitor=exclude" : "")}", ApiJsonContext.Default.TopResponse,
                (stdout, format, top) => ViewOutput.Top(stdout, Console.Error, format, top));
        });
        return command;
    }

    public static Command Rtt()
    {
        var limit = new Option<int>("--limit") { Description = "How many subnets (1-64).", DefaultValueFactory = _ => 16 };
        var common = new CommonOptions();
        var command = new Command("rtt", "TCP round-trip times by remote subnet (median, 90th and 99th percentile with bounds), as the PCs' kernels measured them.") { limit };
        common.AddTo(command);
        command.SetAction(parse =>
        {
            int n = parse.GetValue(limit);
            if (n is < 1 or > ViewEndpoints.MaxTopLimit) return Fail(ExitCodes.UsageError, $"--limit must be from 1 to {ViewEndpoints.MaxTopLimit}.");
            return common.Run(parse, $"api/v1/rtt?limit={n}", ApiJsonContext.Default.RttResponse, (stdout, format, rtt) => HostContextOutput.Rtt(stdout, Console.Error, format, rtt));
        });
        return command;
    }

    public static Command Traffic()
    {
        var common = new CommonOptions();
        var command = new Command("traffic", "Totals and traffic over time of the whole network.");
        common.AddTo(command);
        command.SetAction(parse => common.Run(parse, "api/v1/traffic?", ApiJsonContext.Default.TrafficResponse,
            (stdout, format, traffic) => ViewOutput.Traffic(stdout, Console.Error, format, traffic)));
        return command;
    }

    public static Command Matrix()
    {
        var by = new Option<string>("--by") { Description = "host, or subnet/N (IPv4 /N, IPv6 /64).", DefaultValueFactory = _ => "subnet/24" };
        var limit = new Option<int>("--limit") { Description = "How many cells (1-1000).", DefaultValueFactory = _ => 50 };
        var common = new CommonOptions();
        var command = new Command("matrix", "Traffic between hosts or subnets of the whole network, with error bounds.") { by, limit };
        common.AddTo(command);
        command.SetAction(parse =>
        {
            string b = parse.GetValue(by) ?? "subnet/24";
            if (!ViewEndpoints.TryMatrixPrefixes(b, out _, out _)) return Fail(ExitCodes.UsageError, $"--by '{b}' is not host or subnet/N (N from 1 to 32).");
            int n = parse.GetValue(limit);
            if (n is < 1 or > ViewEndpoints.MaxMatrixLimit) return Fail(ExitCodes.UsageError, $"--limit must be from 1 to {ViewEndpoints.MaxMatrixLimit}.");
            return common.Run(parse, $"api/v1/matrix?by={Uri.EscapeDataString(b)}&limit={n}", ApiJsonContext.Default.MatrixResponse,
                (stdout, format, matrix) => ViewOutput.Matrix(stdout, Console.Error, format, matrix));
        });
        return command;
    }

    public static Command Alerts()
    {
        var common = new CommonOptions();
        var command = new Command("alerts", "Scans, floods, heavy hitters and first contacts detected in the merged view, with their evidence.");
        common.AddTo(command);
        command.SetAction(parse => common.Run(parse, "api/v1/alerts?", ApiJsonContext.Default.AlertsResponse,
            (stdout, format, alerts) => ViewOutput.Alerts(stdout, format, alerts)));
        return command;
    }

    public static Command Zones()
    {
        var parent = new Option<string?>("--parent") { Description = "Show the zones below this one (default: the top level), e.g. site-a or site-a/3." };
        var common = new CommonOptions();
        var command = new Command("zones", "The zones of the network one level at a time: their origins, how many are alive and reporting, how fresh their data is.") { parent };
        common.AddTo(command);
        command.SetAction(parse =>
        {
            string p = parse.GetValue(parent) ?? "";
            if (!Core.Zones.ZonePath.TryParse(p, out _, out string? zoneError)) return Fail(ExitCodes.UsageError, $"--parent: {zoneError}");
            return common.Run(parse, $"api/v1/zones?parent={Uri.EscapeDataString(p)}", ApiJsonContext.Default.ZonesResponse,
                (stdout, format, zones) => ZonesOutput.Write(stdout, format, zones));
        });
        return command;
    }

    private static int Fail(int code, string message)
    {
        Console.Error.WriteLine($"flowmesh: {message}");
        return code;
    }

    /// <summary>The options every view command shares, and the request they all make.</summary>
    internal sealed class CommonOptions
    {
        private readonly Option<string?> _window = new("--window") { Description = "Trailing window: 1m, 5m, 1h, 24h (any number with s, m, h, d). Default 5m." };
        private readonly Option<string?> _from = new("--from") { Description = "Window start (ISO-8601, e.g. 2026-11-24T03:00:00Z); with --to." };
        private readonly Option<string?> _to = new("--to") { Description = "Window end (ISO-8601); with --from." };
        private readonly Option<string?> _agent = new("--agent") { Description = $"The agent to ask (default: this PC's, {AgentApiClient.DefaultAgent})." };
        private readonly Option<string?> _format = new("--format") { Description = "Output format (default: table on a terminal, json when piped)." };
        private readonly Option<double> _timeout = new("--timeout") { Description = "Seconds to wait for the agent.", DefaultValueFactory = _ => 10 };
        private readonly Option<string?> _tokenFile = AgentApiClient.TokenFileOption();

        public CommonOptions() => _format.AcceptOnlyFromAmong("table", "csv", "json");

        public void AddTo(Command command)
        {
            command.Options.Add(_window);
            command.Options.Add(_from);
            command.Options.Add(_to);
            command.Options.Add(_agent);
            command.Options.Add(_format);
            command.Options.Add(_timeout);
            command.Options.Add(_tokenFile);
        }

        public int Run<T>(ParseResult parse, string pathAndQuery, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, Action<TextWriter, OutputFormat, T> write)
            where T : class
        {
            Uri url = AgentApiClient.DefaultAgent;
            if (parse.GetValue(_agent) is string text)
            {
                if (AgentApiClient.ParseAgentUrl(text, out string? error) is not { } parsed) return Fail(ExitCodes.UsageError, error!);
                url = parsed;
            }
            if (parse.GetValue(_timeout) is <= 0 or > 600 or double.NaN) return Fail(ExitCodes.UsageError, "--timeout must be between 0 and 600 seconds.");
            if (WindowQuery(parse.GetValue(_window), parse.GetValue(_from), parse.GetValue(_to), out string? windowError) is not { } window)
                return Fail(ExitCodes.UsageError, windowError!);
            var format = parse.GetValue(_format) switch
            {
                "table" => OutputFormat.Table,
                "csv" => OutputFormat.Csv,
                "json" => OutputFormat.Json,
                _ => Console.IsOutputRedirected ? OutputFormat.Json : OutputFormat.Table,
            };
            if (AgentApiClient.Create(url, TimeSpan.FromSeconds(parse.GetValue(_timeout)), parse.GetValue(_tokenFile), out string? tokenError) is not { } client)
                return Fail(ExitCodes.InputError, tokenError!);
            string separator = pathAndQuery.EndsWith('?') ? "" : "&";
            var (value, failure) = client.GetAsync(pathAndQuery + separator + window, type, CancellationToken.None).GetAwaiter().GetResult();
            if (value is null) return Fail(ExitCodes.AgentUnavailable, failure!);
            using var stdout = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false));
            write(stdout, format, value);
            return ExitCodes.Success;
        }
    }

    /// <summary>The window part of the query, checked here so a typo is a usage error before any agent is asked.</summary>
    internal static string? WindowQuery(string? window, string? from, string? to, out string? error)
    {
        error = null;
        if (from is not null || to is not null)
        {
            if (window is not null) { error = "give either --window or --from and --to, not both."; return null; }
            if (from is null || to is null) { error = "--from and --to go together."; return null; }
            if (!ViewQuery.TryInstant(from, out long f)) { error = $"--from '{from}' is not an ISO-8601 instant such as 2026-11-24T03:00:00Z."; return null; }
            if (!ViewQuery.TryInstant(to, out long t)) { error = $"--to '{to}' is not an ISO-8601 instant such as 2026-11-24T03:00:00Z."; return null; }
            if (f >= t) { error = "--from must be before --to."; return null; }
            return $"from={f.ToString(CultureInfo.InvariantCulture)}&to={t.ToString(CultureInfo.InvariantCulture)}";
        }
        string w = window ?? "5m";
        try
        {
            ViewWindow.ParseLength(w);
        }
        catch (FormatException e)
        {
            error = "--window " + e.Message;
            return null;
        }
        return "window=" + Uri.EscapeDataString(w.Trim());
    }
}
