using System.CommandLine;
using System.Text;
using Flowmesh.Agent.Api;
using Flowmesh.Agent.Output;
using Flowmesh.Agent.ViewSources;
using Flowmesh.Core.Epochs;

namespace Flowmesh.Agent.Cli;

/// <summary>
/// `flowmesh query`: the global view over .fms files. The files are a view source (<see cref="RecordFileViewSource"/>)
/// feeding the same view, documents and output as the API and the view commands, so every answer has the API's
/// schema and bounds. Records are taken exactly once; overlapping or conflicting records are refused.
/// </summary>
internal static class QueryCommand
{
    public static Command Create()
    {
        var files = new Argument<string[]>("files") { Description = "Summary files written by 'flowmesh summarize'.", Arity = ArgumentArity.OneOrMore };
        var top = new Option<string?>("--top") { Description = $"Top list: {string.Join(", ", TopKindNames.All)}." };
        top.AcceptOnlyFromAmong([.. TopKindNames.All]);
        var by = new Option<string>("--by") { Description = "Rank top lists by bytes or packets.", DefaultValueFactory = _ => "bytes" };
        by.AcceptOnlyFromAmong("bytes", "packets");
        var limit = new Option<int>("--limit", "-n") { Description = "At most this many rows.", DefaultValueFactory = _ => 20 };
        string[] distinctKinds = [.. Enum.GetValues<DistinctKind>().Select(k => k.ToString().ToLowerInvariant())];
        var distinct = new Option<string?>("--distinct") { Description = $"Distinct count: {string.Join(", ", distinctKinds)}." };
        distinct.AcceptOnlyFromAmong(distinctKinds);
        var fanout = new Option<bool>("--fanout") { Description = "Sources that reached many distinct hosts, or many ports of one host." };
        var fanin = new Option<bool>("--fanin") { Description = "Destinations reached by many distinct sources." };
        var min = new Option<double?>("--min") { Description = "Smallest spread to report with --fanout/--fanin (default: twice the detection floor)." };
        var matrix = new Option<bool>("--matrix") { Description = "Subnet-to-subnet traffic (/24, /64)." };
        var format = new Option<string?>("--format") { Description = "Output format (default: table on a terminal, json when piped)." };
        format.AcceptOnlyFromAmong("table", "csv", "json");
        var keyFile = new Option<string?>("--key-file") { Description = "The sketch hash key the files were summarized with." };

        var command = new Command("query", "Answer a question over epoch records of one or many nodes (duplicates are merged once).")
        {
            files, top, by, limit, distinct, fanout, fanin, min, matrix, format, keyFile,
        };
        command.SetAction(parse =>
        {
            int modes = (parse.GetValue(top) is null ? 0 : 1) + (parse.GetValue(distinct) is null ? 0 : 1) +
                        (parse.GetValue(fanout) ? 1 : 0) + (parse.GetValue(fanin) ? 1 : 0) + (parse.GetValue(matrix) ? 1 : 0);
            if (modes > 1) return Fail(ExitCodes.UsageError, "Ask one question at a time: --top, --distinct, --fanout, --fanin or --matrix.");
            int n = parse.GetValue(limit);
            if (n < 0) return Fail(ExitCodes.UsageError, "--limit must not be negative.");
            if (parse.GetValue(min) is < 0) return Fail(ExitCodes.UsageError, "--min must not be negative.");

            var records = new List<EpochRecord>();
            Core.Views.GlobalView view;
            try
            {
                var key = SummarizedRecordFile.LoadKey(parse.GetValue(keyFile));
                // The set refuses what the view would otherwise resolve silently: one id with two contents, or records of
                // one origin that overlap (the same capture summarized at two epoch lengths would count twice).
                var admitted = new EpochRecordSet();
                foreach (string path in parse.GetValue(files)!)
                {
                    foreach (var record in SummarizedRecordFile.ReadAll(path, key))
                    {
                        admitted.Add(record);
                        records.Add(record);
                    }
                }
                if (records.Count == 0) return Fail(ExitCodes.InputError, "The files hold no epoch records.");
                view = new RecordFileViewSource(records).Build();
            }
            catch (FileNotFoundException e)
            {
                return Fail(ExitCodes.InputError, $"{e.FileName}: no such file");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or EpochConflictException)
            {
                return Fail(ExitCodes.InputError, e.Message);
            }
            var outputFormat = parse.GetValue(format) switch
            {
                "table" => OutputFormat.Table,
                "csv" => OutputFormat.Csv,
                "json" => OutputFormat.Json,
                _ => Console.IsOutputRedirected ? OutputFormat.Json : OutputFormat.Table,
            };
            var measure = parse.GetValue(by) == "packets" ? TrafficMeasure.Packets : TrafficMeasure.Bytes;
            using var stdout = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false), 64 * 1024);
            var notes = Console.Error;
            if (parse.GetValue(top) is string kind && TopKindNames.TryParse(kind, out var topKind))
                ViewOutput.Top(stdout, notes, outputFormat, ViewDocuments.Top(view, topKind, measure, n));
            else if (parse.GetValue(distinct) is string distinctKind)
                ViewOutput.Distinct(stdout, notes, outputFormat, ViewDocuments.Distinct(view), Enum.Parse<DistinctKind>(distinctKind, ignoreCase: true));
            else if (parse.GetValue(fanout) || parse.GetValue(fanin))
                ViewOutput.Spread(stdout, notes, outputFormat, ViewDocuments.Spread(view, parse.GetValue(fanin), parse.GetValue(min), n));
            else if (parse.GetValue(matrix))
                ViewOutput.Matrix(stdout, notes, outputFormat, ViewDocuments.Matrix(view, "subnet/24", 24, 64, n));
            else
                ViewOutput.Traffic(stdout, notes, outputFormat, ViewDocuments.Traffic(view));
            return ExitCodes.Success;
        });
        return command;
    }

    private static int Fail(int code, string message)
    {
        Console.Error.WriteLine($"flowmesh: {message}");
        return code;
    }
}
