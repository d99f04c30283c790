using Flowmesh.IntegrationTests.Comparison;
using Flowmesh.IntegrationTests.Infrastructure;

namespace Flowmesh.IntegrationTests.Reference;

/// <summary>
/// The independent truth: tshark dissects the capture and <see cref="OutermostIpFlow"/> turns each
/// frame into a directed 5-tuple and a byte count, summed per key. Reassembly is off so every
/// frame is seen as captured (a fragment is a fragment, not part of a datagram).
/// </summary>
public static class TsharkFlowReference
{
    public sealed record Result(DirectedFlowMap Flows, FlowTimeSpans Times, long Frames, long FlowFrames, int ExitCode, string StandardError)
    {
        /// <summary>tshark read the file to its end, or up to damage it reported (exit 2, "cut short" / "damaged").</summary>
        public bool ReadWholeOrUpToDamage => ExitCode == 0 || (ExitCode == 2 && ReportsDamage);

        public bool ReportsDamage =>
            StandardError.Contains("cut short", StringComparison.OrdinalIgnoreCase)
            || StandardError.Contains("damaged", StringComparison.OrdinalIgnoreCase)
            || StandardError.Contains("corrupt", StringComparison.OrdinalIgnoreCase);
    }

    public static IReadOnlyList<string> Arguments(string pcapPath)
    {
        var arguments = new List<string>
        {
            "-n", "-r", pcapPath,
            "-o", "ip.defragment:FALSE",
            "-o", "ipv6.defragment:FALSE",
            "-T", "fields",
            "-E", "separator=/t",
            "-E", "occurrence=a",
            "-E", "aggregator=,",
            "-E", "header=n",
        };
        foreach (string field in TsharkFields.Names)
        {
            arguments.Add("-e");
            arguments.Add(field);
        }
        return arguments;
    }

    public static Result Compute(string tshark, string pcapPath, TimeSpan timeout)
    {
        var run = ChildProcess.Run(tshark, Arguments(pcapPath), timeout);
        var flows = new DirectedFlowMap();
        var times = new FlowTimeSpans();
        long frames = 0, flowFrames = 0;
        foreach (string line in run.StandardOutput.Split('\n'))
        {
            if (line.Length == 0) continue;
            var frame = TsharkFrame.Parse(line.TrimEnd('\r'));
            frames++;
            if (OutermostIpFlow.Derive(frame) is not { } observation) continue;
            flowFrames++;
            flows.AddFrame(observation.Key, observation.Bytes, frame.Number);
            long micros = FlowTimeSpans.ClampToRfc3339(frame.TimestampMicros);
            times.Add(observation.Key, micros, micros);
        }
        return new Result(flows, times, frames, flowFrames, run.ExitCode, run.StandardError);
    }
}
