using System.Globalization;
using System.Text.RegularExpressions;
using Flowmesh.IntegrationTests.Cli;
using Flowmesh.IntegrationTests.Infrastructure;
using Flowmesh.IntegrationTests.Reference;

namespace Flowmesh.IntegrationTests.Comparison;

/// <summary>One capture through both tshark (the reference) and `flowmesh flows`, reduced to directed totals.</summary>
public sealed partial record TsharkComparison(
    string CapturePath,
    TsharkFlowReference.Result Reference,
    ProcessResult Flowmesh,
    DirectedFlowMap FlowmeshFlows,
    FlowTimeSpans FlowmeshTimes,
    FlowMapDifference Difference)
{
    public static TsharkComparison Run(string tshark, string capturePath, TimeSpan timeout)
    {
        var reference = TsharkFlowReference.Compute(tshark, capturePath, timeout);
        var flowmesh = FlowmeshCli.Flows(capturePath, timeout);
        var (flows, times) = flowmesh.ExitCode == 0 ? FlowRecordLines.Read(flowmesh.StandardOutput) : (new DirectedFlowMap(), new FlowTimeSpans());
        return new TsharkComparison(capturePath, reference, flowmesh, flows, times, FlowMapDifference.Compute(reference.Flows, flows));
    }

    /// <summary>
    /// Both tools read the file and agree on every directed flow's packets and bytes, and on every
    /// flow's first and last packet time, or the test fails with the first differences.
    /// </summary>
    /// <summary>
    /// The stderr summary must account for every frame tshark saw (IP or not): a reader that skips
    /// records would otherwise go unnoticed whenever the skipped frames were not IP.
    /// </summary>
    private void AssertSummaryCountsEveryFrame()
    {
        var match = FramesRead().Match(Flowmesh.StandardError);
        Assert.True(match.Success, $"no 'N packets read' summary on stderr: {Flowmesh.StandardError}");
        long read = long.Parse(match.Groups[1].Value.Replace(",", ""), CultureInfo.InvariantCulture);
        Assert.True(read == Reference.Frames, $"{CapturePath}: flowmesh read {read} frames, tshark {Reference.Frames}");
    }

    [GeneratedRegex(@"([\d,]+) packets read")]
    private static partial Regex FramesRead();

    /// <param name="compareTimes">False only for a capture whose packet times tshark itself cannot render (see the corpus list).</param>
    public void AssertExactMatch(bool compareTimes = true)
    {
        Assert.True(Reference.ReadWholeOrUpToDamage,
            $"tshark could not read {CapturePath} (exit {Reference.ExitCode}): {Reference.StandardError}");
        Assert.True(Flowmesh.ExitCode == 0,
            $"flowmesh flows exited {Flowmesh.ExitCode} on {CapturePath}: {Flowmesh.StandardError}");
        AssertSummaryCountsEveryFrame();
        Assert.True(Difference.IsEmpty,
            $"{CapturePath}: flowmesh disagrees with tshark\n{Difference.Describe("tshark", "flowmesh")}\nflowmesh stderr: {Flowmesh.StandardError}");
        Assert.True(!compareTimes || FlowTimeSpans.Mismatches(Reference.Times, FlowmeshTimes).Count == 0,
            $"{CapturePath}: flowmesh disagrees with tshark on flow times\n{FlowTimeSpans.Describe(Reference.Times, FlowmeshTimes, "tshark", "flowmesh")}");
    }
}
