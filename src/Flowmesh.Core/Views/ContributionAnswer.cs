using Flowmesh.Core.Epochs;

namespace Flowmesh.Core.Views;

/// <summary>One origin's exact share of the window's traffic, with its coverage and capture health.</summary>
public sealed record OriginContribution(OriginCoverage Coverage, Measured Bytes, Measured Packets, Measured Flows, double ShareOfBytes, CaptureHealth Health)
{
    public string Origin => Coverage.Origin;
}

/// <summary>Per-node contribution: every expected or contributing origin, heaviest first.</summary>
public sealed record ContributionAnswer(IReadOnlyList<OriginContribution> Origins, ViewCoverage Coverage);
