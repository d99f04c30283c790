using System.CommandLine;
using System.Text;
using Flowmesh.Agent.Output;
using Flowmesh.Core.Epochs;

namespace Flowmesh.Agent.Cli;

/// <summary>`flowmesh query`: merges the records of .fms files exactly once and answers one question, every number with its error bound.</summary>
internal static class QueryCommand
{
    public static Command Create()
    {
        var files = new Argument<string[]>("files") { Description = "Summary files written by 'flowmesh summarize'.", Arity = ArgumentArity.OneOrMore };
        var top = new Option<string?>("--top") { Description = "Top list: talkers (senders), destinations (receivers), pairs or flows." };
        top.AcceptOnlyFromAmong("talkers", "destinations", "pairs", "flows");
        var by = new Option<string>("--by") { Description = "Rank top lists by bytes or packets.", DefaultValueFactory = _ => "bytes" };
        by.AcceptOnlyFromAmong("bytes", "packets");
        var limit = new Option<int>("--limit", "-n") { Description = "At most this many rows.", DefaultValueFactory = _ => 20 };
        var distinct = new Option<string?>("--distinct") { Description = "Distinct count: sources, destinations, flows or ports." };
        distinct.AcceptOnlyFromAmong("sources", "destinations", "flows", "ports");
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
            if (parse.GetValue(limit) < 0) return Fail(ExitCodes.UsageError, "--limit must not be negative.");
            if (parse.GetValue(min) is < 0) return Fail(ExitCodes.UsageError, "--min must not be negative.");

            Core.Sketches.SketchHashKey key;
            var set = new EpochRecordSet();
            int duplicates = 0;
            try
            {
                key = SummarizedRecordFile.LoadKey(parse.GetValue(keyFile));
                foreach (string path in parse.GetValue(files)!)
                {
                    foreach (var record in SummarizedRecordFile.ReadAll(path, key))
                    {
                        if (set.Add(record) == EpochRecordAddResult.Duplicate) duplicates++;
                    }
                }
            }
            catch (FileNotFoundException e)
            {
                return Fail(ExitCodes.InputError, $"{e.FileName}: no such file");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
            {
                return Fail(ExitCodes.InputError, e.Message);
            }
            catch (EpochConflictException e)
            {
                return Fail(ExitCodes.InputError, e.Message);
            }
            if (set.Count == 0) return Fail(ExitCodes.InputError, "The files hold no epoch records.");

            var view = set.Merge();
            var outputFormat = parse.GetValue(format) switch
            {
                "table" => OutputFormat.Table,
                "csv" => OutputFormat.Csv,
                "json" => OutputFormat.Json,
                _ => Console.IsOutputRedirected ? OutputFormat.Json : OutputFormat.Table,
            };
            var measure = parse.GetValue(by) == "packets" ? TrafficMeasure.Packets : TrafficMeasure.Bytes;
            (List<QueryRow> rows, string header) = parse.GetValue(top) is string dimension
                ? (QueryAnswers.Top(view, Enum.Parse<TopDimension>(dimension, ignoreCase: true), measure, parse.GetValue(limit)), measure == TrafficMeasure.Bytes ? "Bytes" : "Packets")
                : parse.GetValue(distinct) is string kind ? (QueryAnswers.Distinct(view, Enum.Parse<DistinctKind>(kind, ignoreCase: true)), "Distinct")
                : parse.GetValue(fanout) ? (QueryAnswers.Spread(view, parse.GetValue(min), SpreadKind.DestinationsPerSource, SpreadKind.PortsPerPair).Take(parse.GetValue(limit)).ToList(), "Fan-out")
                : parse.GetValue(fanin) ? (QueryAnswers.Spread(view, parse.GetValue(min), SpreadKind.SourcesPerDestination).Take(parse.GetValue(limit)).ToList(), "Fan-in")
                : parse.GetValue(matrix) ? (QueryAnswers.Matrix(view, parse.GetValue(limit)), "Bytes")
                : (QueryAnswers.Totals(view), "Bytes");

            string coverage = QueryAnswers.Coverage(view) + (duplicates > 0 ? $"; {duplicates} duplicate records ignored" : "");
            using var stdout = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false), 64 * 1024);
            if (outputFormat == OutputFormat.Table)
                stdout.Write(coverage + "\n");
            else
                Console.Error.WriteLine(coverage);
            QueryOutput.Write(stdout, outputFormat, rows, header);
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
