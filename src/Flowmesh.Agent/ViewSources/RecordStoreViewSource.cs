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
/// records are kept by id (a stored record never changes) so a window rebuilt every epoch decodes only what is new.
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
    private long _undecodable;

    /// <summary>Stored records that could not be unwrapped or decoded (left out of every view).</summary>
    public long Undecodable => Interlocked.Read(ref _undecodable);

    public long NowMicros => Core.UnixMicros.Now(clock);

    public TimeSpan EpochLength => epochLength;

    /// <summary>
    /// Membership's origins, each expected from its oldest held record on (learned by <see cref="RecordsOverlapping"/>),
    /// or from what membership says when none is held: epochs before an origin watched anything are not gaps (an agent
    /// joins the gossip a moment before its capture seals its first epoch).
    /// </summary>
    public IReadOnlyList<ExpectedOrigin> ExpectedOrigins() =>
        [.. expectedOrigins().Select(o => _oldestStart.TryGetValue(o.Origin, out long oldest) ? o with { SinceMicros = oldest } : o)];

    public IReadOnlyList<EpochRecord> RecordsOverlapping(long fromMicros, long toMicros)
    {
        var result = new List<EpochRecord>();
        // Bounded: the cache holds at most the records of a few windows; past that it starts again rather than grow.
        if (_decoded.Count > decodedCapacity) _decoded.Clear();
        // The view's default preference (GlobalViewOptions.MinSeriesPoints), so it keeps every record chosen here.
        long preferred = CoarsestCover.PreferredLongest(toMicros - fromMicros, GlobalViewOptions.Default.MinSeriesPoints, Core.UnixMicros.FromDuration(epochLength));
        foreach (var digest in store.Digest())
        {
            var ids = store.IdsOf(digest.Origin);
            if (ids.Count > 0) _oldestStart[digest.Origin] = ids[^1].StartMicros;
            // IdsOf is newest first (the store contract): once a record starts before the window, every later one
            // does too, and a record starting before the window cannot lie inside it.
            var inWindow = ids.SkipWhile(id => id.StartMicros >= toMicros).TakeWhile(id => id.StartMicros >= fromMicros);
            // Ids first: of a roll-up and the records it was made from only the roll-up is read and decoded, so a long
            // window decodes a few roll-ups per origin instead of every 10 s record (docs/epoch-records.md "Roll-ups").
            foreach (var id in CoarsestCover.Choose(inWindow, fromMicros, toMicros, preferred))
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
        }
        return result;
    }

    private EpochRecord? Decode(EpochId id)
    {
        byte[]? envelope = store.Read(id);
        if (envelope is null) return null; // pruned between listing and reading
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
