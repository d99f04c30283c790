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

    /// <summary>Recognizes Flowmesh's own traffic, totalled apart in each record; null: none is recognized.</summary>
    public MonitorTrafficFilter? MonitorTraffic { get; init; }
    public FlowTableOptions FlowTable { get; init; } = new();

    /// <summary>The zone every record names (docs/zones.md "Zone paths"); null names none.</summary>
    public Zones.ZonePath? Zone { get; init; }

    /// <summary>
    /// Seal a record for every epoch the clock passes through, even one without a single frame (a live agent).
    /// An empty record says "watched and silent"; no record says "not watched". Off by default because a
    /// capture file knows nothing of the time between its packets. Epochs the clock jumps over entirely (the
    /// machine slept, the process was stopped) still get no record: nobody watched them.
    /// </summary>
    public bool SealEmptyEpochs { get; init; }
}
