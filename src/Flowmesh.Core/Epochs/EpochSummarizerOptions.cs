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

    /// <summary>
    /// Remembers traffic counted because no agent was known for a flow's lower address, and reports it in a later
    /// record when an announcement shows that address was owned then (<see cref="LateOwnershipLedger"/>). Null: not kept.
    /// </summary>
    public LateOwnershipLedger? LateOwnership { get; init; }

    /// <summary>Recognizes Flowmesh's own traffic, totalled apart in each record; null: none is recognized.</summary>
    public MonitorTrafficFilter? MonitorTraffic { get; init; }
    public FlowTableOptions FlowTable { get; init; } = new();

    /// <summary>
    /// Attaches host context (process, RTT, DNS name, drops) to every flow delta before the summary and the flow
    /// listener see it; null: none (offline summaries, or no provider on this platform).
    /// </summary>
    public HostContext.FlowContextResolver? Context { get; init; }

    /// <summary>
    /// DNS observations handed over from the DNS source's thread; drained into the open epoch at every seal (records'
    /// DNS extension). Null: no DNS source.
    /// </summary>
    public HostContext.DnsObservationInbox? DnsObservations { get; init; }

    /// <summary>What of the host context records (and, for "off", drill-down rows) may carry; docs/host-context.md "Privacy".</summary>
    public HostContext.HostContextPrivacy Privacy { get; init; } = HostContext.HostContextPrivacy.Default;

    /// <summary>The zone every record names (docs/zones.md "Zone paths"); null names none.</summary>
    public Zones.ZonePath? Zone { get; init; }

    /// <summary>
    /// Seal a record for every epoch the clock passes through, even one without a single frame (a live agent).
    /// An empty record says "watched and silent"; no record says "not watched". Off by default because a
    /// capture file knows nothing of the time between its packets. Epochs the clock jumps over entirely (the
    /// machine slept, the process was stopped) still get no record: nobody watched them.
    /// </summary>
    public bool SealEmptyEpochs { get; init; }

    /// <summary>
    /// No record starts before this instant (µs since the Unix epoch): the end of the newest record this origin
    /// already holds, so a restart never claims an interval a previous run sealed (records are immutable and one
    /// origin's records never overlap). When it falls inside the epoch being opened, the record covers the rest of that
    /// epoch; when it lies beyond (the clock was ahead when those records were sealed, and has been put back), each epoch
    /// is sealed as a <see cref="MinRecordLength"/> record from it, so the records catch up with the clock instead of
    /// colliding with the old ones or waiting for it. Null: nothing sealed before.
    /// </summary>
    public long? RecordsFromMicros { get; init; }

    /// <summary>
    /// The shortest record sealed (never longer than the epoch): what every receiver accepts (ReplicationOptions'
    /// MinEpochLength). A shorter remainder is folded into its neighbour: a stop just after a boundary still claims this
    /// much, and a restart with less than this left of its epoch starts at the next boundary.
    /// </summary>
    public TimeSpan MinRecordLength { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The times passed to <see cref="EpochSummarizer.AdvanceTime"/> are this machine's wall clock (a live agent): when
    /// it steps back by more than an epoch, the open epoch is sealed at once instead of staying open until the clock
    /// comes back to its end, and the next records start after it (<see cref="RecordsFromMicros"/>).
    /// </summary>
    public bool FollowsWallClock { get; init; }

    /// <summary>
    /// Test-only: flows for which this returns true are left out of the records altogether (sketches, totals, peer
    /// accounts), as a compromised PC that hides its own traffic would; the cross-check tests use it to play the liar
    /// (docs/cross-check.md). Null (always, outside those tests): every flow is recorded.
    /// </summary>
    public Func<Flows.FlowTableDelta, bool>? OmitFlow { get; init; }
}
