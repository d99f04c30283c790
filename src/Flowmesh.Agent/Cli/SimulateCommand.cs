using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Flowmesh.Agent.Output;
using Flowmesh.Gossip.Planning;

namespace Flowmesh.Agent.Cli;

/// <summary>
/// `flowmesh simulate`: a planning tool. Runs the production replication code for N virtual nodes on a virtual clock
/// and prints what each PC would pay (bytes, records, CPU, memory) and how fresh and exact the view would be
/// (docs/simulate.md). Progress goes to stderr, the result to stdout.
/// </summary>
internal static class SimulateCommand
{
    public static Command Create()
    {
        var defaults = new PlanningOptions();
        var nodes = new Option<int>("--nodes") { Description = "Simulated agents.", DefaultValueFactory = _ => defaults.Nodes };
        var epochs = new Option<int>("--epochs") { Description = "Epochs every node seals.", DefaultValueFactory = _ => defaults.Epochs };
        var epoch = new Option<string>("--epoch") { Description = "Epoch length (as the agent's --epoch).", DefaultValueFactory = _ => "10s" };
        var loss = new Option<double>("--loss") { Description = "Fraction of messages lost (0..0.5).", DefaultValueFactory = _ => defaults.Loss };
        var crash = new Option<double>("--crash") { Description = "Fraction of nodes killed halfway through (0..0.99).", DefaultValueFactory = _ => 0 };
        var worst = new Option<bool>("--worst-case-records") { Description = "Every record at its largest (≈ 60 KB) instead of a typical PC's (≈ 5.6 KB)." };
        var cost = new Option<double>("--record-cost-ms") { Description = "CPU per received record, in ms (default: the figure measured on live agents, docs/performance.md).", DefaultValueFactory = _ => defaults.CostPerRecord.TotalMilliseconds };
        var zones = new Option<int?>("--zones") { Description = "Zone tree (docs/zones.md): B PCs per leaf zone and B zones per parent, aggregates every 30 s. Omitted: flat replication." };
        var seed = new Option<int>("--seed") { Description = "Seed: the same seed gives the same run.", DefaultValueFactory = _ => defaults.Seed };
        var format = new Option<string?>("--format") { Description = "Output format (default: table on a terminal, json when piped)." };
        format.AcceptOnlyFromAmong("table", "json");

        var command = new Command("simulate", "Plan a deployment: run the production replication code for N virtual agents and print bytes/s, records and CPU per PC, how fast the view covers the network, and whether it stays exact.")
        {
            nodes, epochs, epoch, loss, crash, worst, cost, zones, seed, format,
        };
        command.SetAction(parse =>
        {
            if (DurationText.Parse(parse.GetValue(epoch)!, "--epoch", TimeSpan.FromSeconds(1), TimeSpan.FromHours(1), out string? epochError) is not { } epochLength)
                return Fail(epochError!);
            double costMs = parse.GetValue(cost);
            if (costMs is < 0 or > 10_000 or double.NaN) return Fail("--record-cost-ms must be between 0 and 10000.");
            var options = new PlanningOptions
            {
                Nodes = parse.GetValue(nodes),
                Epochs = parse.GetValue(epochs),
                EpochLength = epochLength,
                Loss = parse.GetValue(loss),
                Crash = parse.GetValue(crash),
                WorstCaseRecords = parse.GetValue(worst),
                CostPerRecord = TimeSpan.FromMilliseconds(costMs),
                ZoneBranching = parse.GetValue(zones),
                Seed = parse.GetValue(seed),
            };
            try
            {
                options.Validate();
            }
            catch (ArgumentOutOfRangeException e)
            {
                return Fail($"--{Option(e.ParamName)} {e.ActualValue}: must be {e.Message.Split(" (Parameter")[0]}.");
            }
            bool json = parse.GetValue(format) == "json" || (parse.GetValue(format) is null && Console.IsOutputRedirected);
            if (options.Nodes > 1000 && options.ZoneBranching is null)
                Console.Error.WriteLine($"flowmesh: {options.Nodes} nodes of flat replication (every node holds every record): this takes long; the zone hierarchy (docs/zones.md) is what keeps large networks cheap.");
            var result = PlanningRun.Run(options, line => Console.Error.WriteLine($"simulate: {line}"));
            if (json)
            {
                Console.Out.WriteLine(JsonSerializer.Serialize(result, SimulateJsonContext.Default.PlanningResult));
                return result.ExactlyOnce ? ExitCodes.Success : ExitCodes.InputError;
            }
            var table = new TextTable(["measure", "value"], 1);
            table.Add("nodes", result.Nodes.ToString(CultureInfo.InvariantCulture));
            table.Add("replication", result.Replication == "zones"
                ? $"zones ({result.Zones} leaf zones, {result.Levels} levels, aggregates every {result.AggregatePeriodSeconds:0} s, {result.AggregatesProduced} produced)"
                : $"{result.Replication} ({result.Zones} zone, {result.Levels} level)");
            table.Add("epochs", $"{result.Epochs} × {result.EpochSeconds:0.###} s");
            table.Add("bytes per node per second (in + out)", HumanUnits.Scaled(result.BytesPerNodePerSecond, "B") + "/s" +
                (result.Replication == "zones" ? $" ({HumanUnits.Scaled(result.AggregateBytesPerNodePerSecond, "B")}/s of it aggregates)" : ""));
            table.Add("records received per node per epoch", result.RecordsPerNodePerEpoch.ToString("0.0", CultureInfo.InvariantCulture));
            table.Add("CPU per node", $"{result.CpuPercentPerNode:0.00} % of a core (at {result.CostPerRecordMilliseconds:0.###} ms per record)");
            table.Add("view covers 99 % of origins on 99 % of nodes", result.CoverageSeconds is { } c ? $"{c:0.0} s after the epoch's end (worst epoch)" : "never, within the run");
            table.Add("exactly once", $"{(result.ExactlyOnce ? "yes" : "NO")} ({result.ViewsChecked} views checked against the flows)");
            table.Add("crashed nodes", result.CrashedNodes.ToString(CultureInfo.InvariantCulture));
            table.Add("sealed records lost", result.LostSealedRecords.ToString(CultureInfo.InvariantCulture));
            table.Add("records held per node", HumanUnits.Scaled(result.MemoryBytesPerNode, "B") + $" (mean record {HumanUnits.Scaled(result.MeanRecordBytes, "B")})");
            table.Add("wall time", $"{result.WallSeconds:0.0} s");
            table.WriteAligned(Console.Out);
            Console.Out.WriteLine($"verification: {result.Verification}");
            return result.ExactlyOnce ? ExitCodes.Success : ExitCodes.InputError;
        });
        return command;
    }

    private static string Option(string? parameter) => parameter switch
    {
        "Nodes" => "nodes",
        "Epochs" => "epochs",
        "EpochLength" => "epoch",
        "Loss" => "loss",
        "Crash" => "crash",
        "ZoneBranching" => "zones",
        _ => parameter?.ToLowerInvariant() ?? "option",
    };

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"flowmesh: {message}");
        return ExitCodes.UsageError;
    }
}
