using System.CommandLine;
using Flowmesh.Agent.Output;
using Flowmesh.Capture.Files;
using Flowmesh.Capture;
using Flowmesh.Capture.Live;
using Flowmesh.Core.Epochs;

namespace Flowmesh.Agent.Cli;

/// <summary>`flowmesh summarize`: a capture file in, one epoch record per epoch appended to a .fms file.</summary>
internal static class SummarizeCommand
{
    public static Command Create()
    {
        var pcap = new Option<string>("--pcap", "-r") { Description = "Read this pcap or pcapng file.", Required = true };
        var epoch = new Option<string>("--epoch") { Description = "Epoch length, e.g. 10s, 1m, 1h.", DefaultValueFactory = _ => "10s" };
        var output = new Option<string>("--out", "-o") { Description = "Append the records to this .fms file (created if missing).", Required = true };
        var origin = new Option<string?>("--origin") { Description = "Name of the summarizing node (default: this host's name)." };
        var keyFile = new Option<string?>("--key-file") { Description = "16-byte (or 32 hex digit) sketch hash key; default: the fixed offline key." };
        var local = new Option<string?>("--local") { Description = "This node's addresses (CIDR list) for the flow-ownership rule." };
        var monitored = new Option<string?>("--monitored") { Description = "Addresses of all hosts running an agent (CIDR list): a flow between two of them is counted by the agent of the lower address only." };

        var command = new Command("summarize", "Summarize a capture into per-epoch records (totals, top talkers, distinct counts, fan-out/fan-in, subnet matrix).")
        {
            pcap, epoch, output, origin, keyFile, local, monitored,
        };
        command.SetAction(parse =>
        {
            var length = SummarizeEpochLength(parse.GetValue(epoch)!, out string? error);
            if (length is null) return Fail(ExitCodes.UsageError, error!);
            string name = parse.GetValue(origin) ?? Environment.MachineName;
            try
            {
                new EpochId(name, 0, 1).Validate();
            }
            catch (ArgumentException e)
            {
                return Fail(ExitCodes.UsageError, $"--origin: {e.Message}");
            }
            AddressPrefixSet localSet, monitoredSet;
            try
            {
                localSet = AddressPrefixSet.Parse(parse.GetValue(local) ?? "");
                monitoredSet = AddressPrefixSet.Parse(parse.GetValue(monitored) ?? "");
            }
            catch (FormatException e)
            {
                return Fail(ExitCodes.UsageError, e.Message);
            }
            Core.Sketches.SketchHashKey key;
            try
            {
                key = SummarizedRecordFile.LoadKey(parse.GetValue(keyFile));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
            {
                return Fail(ExitCodes.InputError, e.Message);
            }
            var options = new EpochSummarizerOptions
            {
                Origin = name,
                Key = key,
                EpochLength = length.Value,
                Ownership = localSet.Prefixes.Count == 0 && monitoredSet.Prefixes.Count == 0
                    ? FlowOwnership.Everything
                    : new FlowOwnership(localSet.Contains, monitoredSet.Contains),
            };
            return Run(parse.GetValue(pcap)!, parse.GetValue(output)!, options);
        });
        return command;
    }

    private static int Run(string pcapPath, string outputPath, EpochSummarizerOptions options)
    {
        PcapFileSource source;
        try
        {
            source = (PcapFileSource)CaptureSources.OpenFile(pcapPath);
        }
        catch (CaptureSetupException e)
        {
            return Fail(ExitCodes.InputError, e.Message);
        }
        using (source)
        {
            FileStream file;
            try
            {
                file = SummarizedRecordFile.OpenForAppend(outputPath);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
            {
                return Fail(ExitCodes.InputError, e.Message);
            }
            using (file)
            {
                using var buffered = new BufferedStream(file, 256 * 1024);
                long bytes = 0, first = long.MaxValue, last = long.MinValue;
                var summarizer = new EpochSummarizer(options, record =>
                {
                    SummarizedRecordFile.Append(buffered, record);
                    bytes += record.EncodedLength + 4;
                    first = Math.Min(first, record.Id.StartMicros);
                    last = Math.Max(last, record.Id.EndMicros);
                });
                var started = System.Diagnostics.Stopwatch.StartNew();
                using (new ProgressIndicator(source, ProgressIndicator.ShouldShow))
                {
                    source.Run(new SummarizeFrameSink(summarizer), CancellationToken.None);
                }
                summarizer.Finish();
                buffered.Flush();
                string span = summarizer.RecordsSealed == 0 ? "no packets"
                    : $"{Core.UnixMicros.Format(first)} .. {Core.UnixMicros.Format(last)}";
                Console.Error.WriteLine($"flowmesh: {summarizer.RecordsSealed} epoch records ({HumanUnits.Bytes(bytes)}) from {summarizer.Meter.FramesSeen} frames, {span}, origin {options.Origin}, appended to {outputPath} in {HumanUnits.Duration(started.Elapsed)}");
                if (source.Statistics.StoppedEarly is string stopped)
                    Console.Error.WriteLine($"flowmesh: warning: {stopped}");
            }
        }
        return ExitCodes.Success;
    }

    /// <summary>--epoch: 1 ms to one day, the span peers accept for a record's epoch (ReplicationOptions).</summary>
    internal static TimeSpan? SummarizeEpochLength(string text, out string? error) =>
        DurationText.Parse(text, "--epoch", TimeSpan.FromMilliseconds(1), TimeSpan.FromDays(1), out error);

    private static int Fail(int code, string message)
    {
        Console.Error.WriteLine($"flowmesh: {message}");
        return code;
    }
}
