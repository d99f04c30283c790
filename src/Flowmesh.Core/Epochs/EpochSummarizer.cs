using Flowmesh.Core.Flows;
using Flowmesh.Core.Packets;

namespace Flowmesh.Core.Epochs;

/// <summary>
/// Frames in, one sealed <see cref="EpochRecord"/> per epoch out. Drives a <see cref="FlowMeter"/> and cuts
/// epochs by packet time: when a packet (or idle time) reaches the end of the open epoch, the flow table
/// exports every live flow's traffic since the previous cut (<see cref="FlowTable.ExportInterim"/>), and the
/// epoch is sealed before the packet is counted. So each packet lands in the epoch in which it was observed,
/// whatever the lifetime of its flow.
/// </summary>
/// <remarks>
/// Epochs without any frame produce no record unless <see cref="EpochSummarizerOptions.SealEmptyEpochs"/> is set:
/// then idle time (<see cref="AdvanceTime"/>) opens and seals epochs too. A packet older than the open epoch (captures are not strictly
/// ordered) is counted in the open epoch. Not thread-safe: one capture loop owns it.
/// <para><b>Records never overlap, across restarts and clock steps too</b> (docs/epoch-records.md, "Partial and
/// moved records"). A record starts no earlier than the end of the previous one
/// (<see cref="EpochSummarizerOptions.RecordsFromMicros"/> carries it over a restart), so an epoch can be split: a live
/// stop seals [start, stop) (<see cref="FinishAt"/>) and the next run seals [stop, end). When that end lies beyond the
/// open epoch (the wall clock was put back under records sealed while it was ahead), the epoch's traffic is sealed as
/// a <see cref="EpochSummarizerOptions.MinRecordLength"/> record at the first free instant: every packet is still
/// counted once, under a later interval than the one it was seen in, and those records catch up with the clock by
/// an epoch length less that minimum per epoch. Sealing never waits for the clock.</para>
/// </remarks>
public sealed class EpochSummarizer
{
    private readonly EpochSummarizerOptions _options;
    private readonly Action<EpochRecord> _onSealed;
    private readonly long _lengthMicros;
    private readonly long _minRecordMicros;
    private EpochSummary? _current;
    private long _currentStart;
    private long _currentEnd;
    private bool _currentMoved;
    private long _recordsFrom;
    private long _framesAtStart;
    private long _decodeFailuresAtStart;
    private long _evictionsAtStart;
    private ulong _pendingDrops;
    private readonly IEpochFlowListener? _flows;
    private readonly Action<Exception, FlowTableDelta>? _onDeltaFailed;
    private readonly Action<Exception, EpochId>? _onSealFailed;

    /// <param name="options">What to summarize and how.</param>
    /// <param name="onSealed">Receives each sealed record (after <paramref name="flows"/> learned the epoch closed).</param>
    /// <param name="flows">Also receives every flow delta and each epoch's close (the agent's drill-down log).</param>
    /// <param name="onDeltaFailed">
    /// When set, a delta the summary refuses (it throws) is reported here and dropped, and the capture goes on: any
    /// host on the LAN chooses what a live capture sees. When null it propagates (offline summarizing fails loudly).
    /// </param>
    /// <param name="onSealFailed">
    /// When set, an epoch whose record cannot be built (it fails its own format check: a bug, never input) is reported
    /// here and lost alone: its end still bounds the next record, and the packet that closed it is counted in the next
    /// epoch. When null it propagates.
    /// </param>
    public EpochSummarizer(EpochSummarizerOptions options, Action<EpochRecord> onSealed, IEpochFlowListener? flows = null, Action<Exception, FlowTableDelta>? onDeltaFailed = null,
        Action<Exception, EpochId>? onSealFailed = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(onSealed);
        new EpochId(options.Origin, 0, 1).Validate();
        _lengthMicros = UnixMicros.FromDuration(options.EpochLength);
        if (_lengthMicros <= 0) throw new ArgumentOutOfRangeException(nameof(options), "The epoch length must be at least 1 µs.");
        _minRecordMicros = Math.Clamp(UnixMicros.FromDuration(options.MinRecordLength), 1, _lengthMicros);
        _recordsFrom = options.RecordsFromMicros ?? long.MinValue;
        _options = options;
        _onSealed = onSealed;
        _flows = flows;
        _onDeltaFailed = onDeltaFailed;
        _onSealFailed = onSealFailed;
        // Ended flow records carry nothing the summary needs: their traffic arrives as deltas.
        Meter = new FlowMeter(options.FlowTable, static _ => { });
        Meter.Table.DeltaSink = OnDelta;
    }

    public FlowMeter Meter { get; }
    public long RecordsSealed { get; private set; }

    /// <summary>Epochs whose record could not be built (reported to the seal-failure callback).</summary>
    public long RecordsLost { get; private set; }

    /// <summary>Records sealed under a later interval than the time they watched (see the remarks): the clock was put back under this origin's records, or a restart came in an epoch's last instant.</summary>
    public long RecordsMoved { get; private set; }

    /// <summary>Times the wall clock stepped back by more than an epoch and the open epoch was sealed early (<see cref="EpochSummarizerOptions.FollowsWallClock"/>).</summary>
    public long ClockStepsBack { get; private set; }

    /// <summary>The next record starts here or later: the end of the newest record sealed (or carried over a restart).</summary>
    public long RecordsFromMicros => _recordsFrom;

    public void ObservePacket(LinkType linkType, long timestampMicros, ReadOnlySpan<byte> frame)
    {
        CutAt(timestampMicros, startIfIdle: true);
        Meter.ObservePacket(linkType, timestampMicros, frame);
    }

    /// <summary>No frame for a while (live capture): seals the open epoch once the clock passes its end.</summary>
    public void AdvanceTime(long nowMicros)
    {
        CutAt(nowMicros, startIfIdle: _options.SealEmptyEpochs, wallClock: _options.FollowsWallClock);
        Meter.AdvanceTime(nowMicros);
    }

    /// <summary>One drain of flows the kernel aggregated (eBPF); they belong to the open epoch (opened at the newest aggregate's time if none is).</summary>
    public void ObserveAggregates(Span<FlowAggregate> aggregates)
    {
        if (aggregates.IsEmpty) return;
        if (_current is null)
        {
            long newest = long.MinValue;
            foreach (ref readonly var a in aggregates) newest = Math.Max(newest, a.LastMicros);
            CutAt(newest, startIfIdle: true);
        }
        Meter.ObserveAggregates(aggregates);
    }

    /// <summary>The end of the open epoch: the instant the next <see cref="AdvanceTime"/> must reach to seal it on time (<see cref="long.MaxValue"/> when none is open).</summary>
    public long NextCutMicros => _current is null ? long.MaxValue : _currentEnd;

    /// <summary>Kernel drops reported by the capture since the previous call; charged to the open epoch.</summary>
    public void AddKernelDrops(ulong drops) => _pendingDrops += drops;

    /// <summary>The input is over: ends every flow and seals the open epoch whole (a file says nothing of the time after its last packet).</summary>
    public void Finish()
    {
        if (_current is null) return;
        Meter.Flush();
        Seal();
    }

    /// <summary>
    /// A live capture stops at <paramref name="nowMicros"/>: ends every flow and seals the open epoch as the part it
    /// watched, [start, now) (at least <see cref="EpochSummarizerOptions.MinRecordLength"/>), so a restart within the
    /// epoch records the rest under an interval of its own instead of colliding with this record.
    /// </summary>
    public void FinishAt(long nowMicros)
    {
        CutAt(nowMicros, startIfIdle: false, wallClock: _options.FollowsWallClock);
        if (_current is null) return;
        Meter.Flush();
        if (!_currentMoved)
        {
            var id = _current.Id;
            long end = Math.Min(id.EndMicros, Math.Max(nowMicros, id.StartMicros + _minRecordMicros));
            if (end < id.EndMicros) _current.EndAt(end);
        }
        Seal();
    }

    private void CutAt(long micros, bool startIfIdle, bool wallClock = false)
    {
        // A wall clock more than an epoch behind the open epoch was put back: waiting for it to come back to the
        // epoch's end would stop sealing for as long as the step.
        bool steppedBack = wallClock && _current is not null && micros < _currentStart - _lengthMicros;
        if (_current is not null && (micros >= _currentEnd || steppedBack))
        {
            if (steppedBack) ClockStepsBack++;
            Meter.Table.ExportInterim();
            Seal();
        }
        if (_current is null && startIfIdle) Open(micros);
    }

    /// <summary>Opens the epoch of <paramref name="micros"/>; its record starts no earlier than the previous record's end (see the remarks).</summary>
    private void Open(long micros)
    {
        long start = EpochRollup.AlignDown(micros, _lengthMicros);
        _currentStart = start;
        _currentEnd = start + _lengthMicros;
        _currentMoved = false;
        long recordStart = start, recordEnd = _currentEnd;
        if (_recordsFrom > start)
        {
            if (_recordsFrom <= _currentEnd - _minRecordMicros) recordStart = _recordsFrom; // the rest of an epoch a stop shortened
            else
            {
                // Beyond this epoch (or less than the minimum left of it): the shortest record at the first free
                // instant, never across a boundary of the epochs (roll-ups and views slot records by epoch).
                recordStart = _recordsFrom;
                long boundary = EpochRollup.AlignDown(recordStart, _lengthMicros) + _lengthMicros;
                if (recordStart + _minRecordMicros > boundary) recordStart = boundary;
                recordEnd = recordStart + _minRecordMicros;
                _currentMoved = true;
            }
        }
        _current = new EpochSummary(new EpochId(_options.Origin, recordStart, recordEnd - recordStart), _options.Key, _options.Summary, _options.Ownership, _options.MonitorTraffic) { Zone = _options.Zone, Privacy = _options.Privacy, Ledger = _options.LateOwnership };
    }

    /// <summary>
    /// <see cref="System.Diagnostics.Stopwatch.GetTimestamp"/> when the latest seal began: the record's callback can
    /// time the whole seal (building the record, and whatever it does with it) without a clock call of its own.
    /// </summary>
    public long LastSealStartTimestamp { get; private set; }

    private void Seal()
    {
        LastSealStartTimestamp = System.Diagnostics.Stopwatch.GetTimestamp();
        var summary = _current!;
        long frames = Meter.FramesSeen, failures = Meter.DecodeFailures.Total, evictions = Meter.Table.Evictions;
        summary.AddHealth(new CaptureHealth(
            (ulong)(frames - _framesAtStart), _pendingDrops, (ulong)(failures - _decodeFailuresAtStart), (ulong)(evictions - _evictionsAtStart), 0));
        _framesAtStart = frames;
        _decodeFailuresAtStart = failures;
        _evictionsAtStart = evictions;
        _pendingDrops = 0;
        _current = null;
        // DNS answers that arrived since the previous seal belong to this epoch (like a late packet, an older one is
        // counted in the open epoch).
        _options.DnsObservations?.DrainTo(summary.AddDns);
        EpochRecord record;
        try
        {
            record = summary.Seal();
        }
        catch (Exception e) when (_onSealFailed is not null && e is EpochRecordFormatException or ArgumentException or InvalidOperationException or OverflowException)
        {
            RecordsLost++;
            _recordsFrom = Math.Max(_recordsFrom, summary.Id.EndMicros);
            _flows?.Sealed(summary.Id);
            _onSealFailed(e, summary.Id);
            return;
        }
        RecordsSealed++;
        if (_currentMoved) RecordsMoved++;
        _recordsFrom = Math.Max(_recordsFrom, record.Id.EndMicros);
        _flows?.Sealed(record.Id);
        _onSealed(record);
    }

    private void OnDelta(FlowTableDelta delta)
    {
        if (_options.OmitFlow is { } omit && omit(delta)) return; // test-only: a lying PC (docs/cross-check.md)
        if (_options.Context is { IsEmpty: false } context)
            delta = delta with { Context = context.Resolve(HostContext.FlowContextKey.From(in delta)) };
        // Deltas only arrive from inside ObservePacket/ObserveAggregates/AdvanceTime/Finish, after CutAt has opened
        // an epoch; an expiry on idle time before any packet cannot produce one because the table is empty then.
        if (_onDeltaFailed is null) _current!.Add(in delta);
        else
        {
            try
            {
                _current!.Add(in delta);
            }
            catch (Exception e)
            {
                _onDeltaFailed(e, delta);
            }
        }
        if (_flows is null) return;
        if (delta.Context is not null) delta = delta with { Context = _options.Privacy.ForDrillDown(delta.Context) };
        _flows.Add(delta);
    }
}
