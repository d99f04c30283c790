using Flowmesh.IntegrationTests.Cli;
using Flowmesh.IntegrationTests.Infrastructure;
using Flowmesh.IntegrationTests.Reference;

namespace Flowmesh.IntegrationTests.Comparison;

/// <summary>One capture through both tshark (the reference) and `flowmesh flows`, reduced to directed totals.</summary>
public sealed record TsharkComparison(
    string CapturePath,
    TsharkFlowReference.Result Reference,
    ProcessResult Flowmesh,
    DirectedFlowMap FlowmeshFlows,
    FlowMapDifference Difference)
{
    public static TsharkComparison Run(string tshark, string capturePath, TimeSpan timeout)
    {
        var reference = TsharkFlowReference.Compute(tshark, capturePath, timeout);
        var flowmesh = FlowmeshCli.Flows(capturePath, timeout);
        var flows = flowmesh.ExitCode == 0 ? FlowRecordLines.Sum(flowmesh.StandardOutput) : new DirectedFlowMap();
        return new TsharkComparison(capturePath, reference, flowmesh, flows, FlowMapDifference.Compute(reference.Flows, flows));
    }

    /// <summary>Both tools read the file and agree on every directed flow, or the test fails with the first differences.</summary>
    public void AssertExactMatch()
    {
        Assert.True(Reference.ReadWholeOrUpToDamage,
            $"tshark could not read {CapturePath} (exit {Reference.ExitCode}): {Reference.StandardError}");
        Assert.True(Flowmesh.ExitCode == 0,
            $"flowmesh flows exited {Flowmesh.ExitCode} on {CapturePath}: {Flowmesh.StandardError}");
        Assert.True(Difference.IsEmpty,
            $"{CapturePath}: flowmesh disagrees with tshark\n{Difference.Describe("tshark", "flowmesh")}\nflowmesh stderr: {Flowmesh.StandardError}");
    }
}
