using System.Collections.Concurrent;
using Flowmesh.Core.Epochs;
using Flowmesh.Core.Sketches;
using Flowmesh.Core.Views;
using Flowmesh.Gossip.Records;
using Flowmesh.Gossip.Security;

namespace Flowmesh.Agent.ViewSources;

/// <summary>
/// <see cref="IViewSource"/> over the agent's record store: the store holds signed envelopes (verified when they were
/// written), so each is unwrapped (<see cref="SignedRecord"/>) and decoded with the cluster's sketch key. Only the
/// records a window's cover needs are decoded (<see cref="CoarsestCover"/>: roll-ups rather than their parts). Decoded
/// records are kept by id (a stored record never changes), and a record the agent has just validated is handed over
/// already decoded (<see cref="Remember"/>), so a window rebuilt every epoch decodes nothing that arrived while the
/// agent ran. A window reads the ids starting in it from the store's start index, never every origin's whole history.
/// </summary>
internal sealed class RecordStoreViewSource(
    IRecordStore store,
    SketchHashKey sketchKey,
    Func<IReadOnlyList<ExpectedOrigin>> expectedOrigins,
    TimeProvider clock,
    TimeSpan epochLength,
    int decodedCapacity = 50_000) : IViewSource
{
    private readonly ConcurrentDictionary<EpochId, EpochRecord> _decoded = new();
    private readonly ConcurrentDictionary<string, long> _oldestStart = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _countSeen = new(StringComparer.Ordinal);
    private readonly Lock _trimGate = new();
    private long _undecodable, _decodes;

    /// <summary>Stored records that could not be unwrapped or decoded (left out of every view).</summary>
    public long Undecodable => Interlocked.Read(ref _undecodable);

    /// <summary>Envelopes read back from the store and decoded (records not handed over by <see cref="Remember"/>).</summary>
    public long Decodes => Interlocked.Read(ref _decodes);

    public long NowMicros => Core.UnixMicros.Now(clock);

    public TimeSpan EpochLength => epochLength;

    /// <summary>
    /// Membership's origins, each expected from its oldest held record on (learned by <see cref="RecordsOverlapping"/>),
    /// or from what membership says when none is held: epochs before an origin watched anything are not gaps (an agent
    /// joins the gossip a moment before its capture seals its first epoch).
    /// </summary>
    public IReadOnlyList<ExpectedOrigin> ExpectedOrigins() =>
        [.. expectedOrigins().Select(o => _oldestStart.TryGetValue(o.Origin, out long oldest) ? o with { SinceMicros = oldest } : o)];

    /// <summary>
    /// A record just stored (the store's Written event): kept decoded when the validator or the sealer decoded it, so
    /// the next view does not read and decode it again. Thread-safe.
    /// </summary>
    public void Remember(VerifiedRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (record.Decoded is not { } decoded || decoded.Id != record.Id) return;
        TrimIfFull();
        _decoded[record.Id] = decoded;
        // The count this source accounts for grows with every remembered record, so a count that differs at the next
        // view means something else happened (retention pruned, or a write went by unseen) and the origin is probed.
        var origin = record.Id.Origin;
        lock (_trimGate)
        {
            if (!_countSeen.TryGetValue(origin, out int seen) || !_oldestStart.TryGetValue(origin, out long oldest)) return;
            _countSeen[origin] = seen + 1;
            if (record.Id.StartMicros < oldest) _oldestStart[origin] = record.Id.StartMicros;
        }
    }

    public IReadOnlyList<EpochRecord> RecordsOverlapping(long fromMicros, long toMicros)
    {
        TrimIfFull();
        LearnOldestStarts();
        var result = new List<EpochRecord>();
        // The view's default preference (GlobalViewOptions.MinSeriesPoints), so it keeps every record chosen here.
        long preferred = CoarsestCover.PreferredLongest(toMicros - fromMicros, GlobalViewOptions.Default.MinSeriesPoints, Core.UnixMicros.FromDuration(epochLength));
        // Ids first: of a roll-up and the records it was made from only the roll-up is read and decoded, so a long
        // window decodes a few roll-ups per origin instead of every 10 s record (docs/epoch-records.md "Roll-ups").
        // Every record lying wholly inside the window starts inside it (the contract asks for no more).
        foreach (var id in CoarsestCover.Choose(store.IdsStartingBetween(fromMicros, toMicros), fromMicros, toMicros, preferred))
        {
            if (_decoded.TryGetValue(id, out var known))
            {
                result.Add(known);
                continue;
            }
            if (Decode(id) is { } record)
            {
                _decoded[id] = record;
                result.Add(record);
            }
        }
        return result;
    }

    /// <summary>
    /// The oldest start of each origin: probed from the store (one index probe) when the origin is new or its count is
    /// not what the remembered records explain (retention pruned it, or it was written unseen); kept up to date by
    /// <see cref="Remember"/> otherwise.
    /// </summary>
    private void LearnOldestStarts()
    {
        foreach (var digest in store.Digest())
        {
            lock (_trimGate)
            {
                if (_countSeen.TryGetValue(digest.Origin, out int seen) && seen == digest.Count && _oldestStart.ContainsKey(digest.Origin)) continue;
                if (store.OldestStartOf(digest.Origin) is { } oldest) _oldestStart[digest.Origin] = oldest;
                _countSeen[digest.Origin] = digest.Count;
            }
        }
    }

    /// <summary>
    /// Bounded: past the capacity the older half (by start) goes, so the windows being shown, which end now, stay
    /// decoded; an evicted record is decoded again if an older window asks for it.
    /// </summary>
    private void TrimIfFull()
    {
        if (_decoded.Count <= decodedCapacity) return;
        lock (_trimGate)
        {
            if (_decoded.Count <= decodedCapacity) return;
            var starts = _decoded.Keys.Select(id => id.StartMicros).ToArray();
            Array.Sort(starts);
            long median = starts[starts.Length / 2];
            foreach (var id in _decoded.Keys)
                if (id.StartMicros < median) _decoded.TryRemove(id, out _);
            // All at one start (a capacity below one epoch of origins): start again rather than grow.
            if (_decoded.Count > decodedCapacity) _decoded.Clear();
        }
    }

    private EpochRecord? Decode(EpochId id)
    {
        byte[]? envelope = store.Read(id);
        if (envelope is null) return null; // pruned between listing and reading
        Interlocked.Increment(ref _decodes);
        try
        {
            if (!SignedRecord.TryDecode(envelope, out var signed, out _) || signed is null) throw new FormatException("not a signed record");
            var record = EpochRecord.Decode(signed.Record, sketchKey);
            if (record.Id != id) throw new FormatException("record id differs from its stored id");
            return record;
        }
        catch (Exception e) when (e is EpochRecordFormatException or FormatException or ArgumentException)
        {
            Interlocked.Increment(ref _undecodable);
            return null;
        }
    }
}
