using Flowmesh.Core.Flows;
using Flowmesh.Core.Sketches;

namespace Flowmesh.Core.Epochs;

public sealed record EpochSummarizerOptions
{
    /// <summary>Who writes the records (host name or agent id), 1..64 bytes of UTF-8.</summary>
    public required string Origin { get; init; }

    public required SketchHashKey Key { get; init; }

    /// <summary>Epoch length; epochs are aligned to multiples of it since the Unix epoch, so all origins agree on boundaries.</summary>
    public TimeSpan EpochLength { get; init; } = TimeSpan.FromSeconds(10);

    public EpochSummaryOptions Summary { get; init; } = EpochSummaryOptions.Default;
    public FlowOwnership Ownership { get; init; } = FlowOwnership.Everything;
    public FlowTableOptions FlowTable { get; init; } = new();
}
