namespace Flowmesh.Gossip.Records;

/// <summary>
/// Every tunable of record dissemination (anti-entropy sessions and the plausibility checks records must pass).
/// Defaults target a LAN of up to a few hundred PCs with 10 s epochs and records of about 6 KB (worst 60 KB);
/// docs/replication.md derives them and shows the measured bandwidth.
/// </summary>
public sealed record ReplicationOptions
{
    /// <summary>How often a node starts one session with one random live peer (Demers' anti-entropy period).</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Bytes of records a session may move in each direction (pull and push separately). The flow control: a
    /// node never sends or asks for more per session, so its load is at most about 2 × budget per interval as
    /// initiator plus the same as responder. 256 KiB/s is ~45 typical records or 4 worst-case ones per session.
    /// </summary>
    public int RoundByteBudget { get; init; } = 256 * 1024;

    /// <summary>
    /// Id-level detail covers only epochs that started within this window before now (the digest covers all),
    /// because new records are where differences are. Older differences are found by the periodic full pass.
    /// </summary>
    public TimeSpan RecentWindow { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Every this-many sessions the id-level exchange covers the whole retention span.</summary>
    public int FullPassEvery { get; init; } = 30;

    /// <summary>
    /// Records whose epoch ended longer ago than their length tier keeps them are neither accepted, offered nor
    /// pulled (raw epochs 24 h, roll-ups longer; <see cref="RecordRetention.Default"/>).
    /// </summary>
    public RecordRetention Retention { get; init; } = RecordRetention.Default;

    /// <summary>How far in the future an epoch may start (peers' clocks differ; records are sealed at epoch end).</summary>
    public TimeSpan MaxClockSkew { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Shortest plausible epoch (a bogus 1 µs epoch would let one origin flood the store with ids).</summary>
    public TimeSpan MinEpochLength { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest plausible epoch (rollups of a day are the longest the system produces).</summary>
    public TimeSpan MaxEpochLength { get; init; } = TimeSpan.FromDays(1);

    /// <summary>Largest signed envelope accepted (the record budget is 64 KiB; room for the envelope's fields).</summary>
    public int MaxEnvelopeBytes { get; init; } = 72 * 1024;

    /// <summary>Largest sync message decoded (longer ones are dropped and counted before parsing).</summary>
    public int MaxMessageBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>Most origins in one digest message; matches TrustedOrigins' default bound.</summary>
    public int MaxOrigins { get; init; } = 100_000;

    /// <summary>Most ids listed for one origin in one message (a week of 10 s epochs is 60 480).</summary>
    public int MaxIdsPerOrigin { get; init; } = 65_536;

    /// <summary>Most ids in one message overall (bounds the reply to a digest: 131 072 × 16 B = 2 MiB, under MaxMessageBytes).</summary>
    public int MaxIdsPerMessage { get; init; } = 131_072;

    /// <summary>Requests a responder serves per sender within one <see cref="Interval"/> (a session is two; a per-peer rate limit).</summary>
    public int MaxRequestsPerPeerPerInterval { get; init; } = 8;

    /// <summary>Most ids one session asks for (the responder sends what fits the budget, newest first).</summary>
    public int MaxWantsPerSession { get; init; } = 2048;

    /// <summary>
    /// The cluster's sketch settings (docs/epoch-records.md "Contents"): every member seals with these, and a record
    /// built with others is refused at intake (<see cref="Security.RecordRejection.OtherSketchSettings"/>), so no
    /// record can make the view pick settings. Today's defaults; changing them means changing every agent at once.
    /// </summary>
    public Core.Epochs.EpochSummaryOptions SketchSettings { get; init; } = Core.Epochs.EpochSummaryOptions.Default;

    /// <summary>Where records may lie: aligned to the cluster's epoch grid, non-overlapping parts per slot, at most K per slot.</summary>
    public EpochSlotRule Slots { get; init; } = EpochSlotRule.Default;

    public void Validate()
    {
        if (Interval <= TimeSpan.Zero) throw new ArgumentException("Interval must be positive");
        if (RoundByteBudget < 1) throw new ArgumentException("RoundByteBudget must be positive");
        if (RecentWindow <= TimeSpan.Zero) throw new ArgumentException("RecentWindow must be positive");
        ArgumentNullException.ThrowIfNull(Retention);
        ArgumentNullException.ThrowIfNull(SketchSettings);
        ArgumentNullException.ThrowIfNull(Slots);
        if (FullPassEvery < 1) throw new ArgumentException("FullPassEvery must be at least 1");
        if (MinEpochLength <= TimeSpan.Zero || MaxEpochLength < MinEpochLength) throw new ArgumentException("epoch length range is empty");
        if (MaxEnvelopeBytes < 1 || MaxMessageBytes < MaxEnvelopeBytes) throw new ArgumentException("MaxMessageBytes must hold at least one envelope");
        if (MaxOrigins < 1 || MaxIdsPerOrigin < 1 || MaxIdsPerMessage < 1 || MaxRequestsPerPeerPerInterval < 1 || MaxWantsPerSession < 1)
            throw new ArgumentException("caps must be positive");
    }
}
