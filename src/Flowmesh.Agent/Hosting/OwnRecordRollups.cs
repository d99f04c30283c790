using Flowmesh.Agent.Storage;
using Flowmesh.Core.Epochs;
using Flowmesh.Core.Sketches;
using Flowmesh.Gossip.Records;
using Flowmesh.Gossip.Security;

namespace Flowmesh.Agent.Hosting;

/// <summary>
/// Rolls this agent's own sealed records up into the roll-up tiers (1 min, 10 min, 1 h by default;
/// docs/epoch-records.md "Roll-ups") once a tier's interval is complete plus a grace, then seals, signs and stores
/// each like any own record, so it replicates like one and stays available after this PC is gone. Only the origin
/// rolls up its records: nobody else can sign them. A roll-up merges whatever the origin sealed inside its interval
/// (full epochs, partial ones after a restart, or shorter roll-ups already made), each exactly once
/// (<see cref="CoarsestCover"/>). An interval is rolled up only while all its raw records are still held (it starts
/// at or after the raw tier's horizon), so a roll-up is never made from a partly pruned interval.
/// </summary>
internal sealed class OwnRecordRollups
{
    private readonly SqliteRecordStore _store;
    private readonly RecordSealer _sealer;
    private readonly SketchHashKey _key;
    private readonly long _epochMicros;
    private readonly long[] _lengths;
    private readonly TextWriter _log;
    private long _written, _failures;
    private bool _failureLogged;

    public OwnRecordRollups(SqliteRecordStore store, RecordSealer sealer, SketchHashKey key, RecordRetention retention, TimeSpan epochLength, TextWriter log)
    {
        _store = store;
        _sealer = sealer;
        _key = key;
        _log = log;
        _epochMicros = Micros(epochLength);
        // A tier is used only when it is longer than the epoch and a whole number of epochs (records cannot be split).
        _lengths = [.. retention.RollupLengths.Select(Micros).Where(l => l > _epochMicros && l % _epochMicros == 0)];
        Grace = TimeSpan.FromTicks(Math.Max(2 * epochLength.Ticks, TimeSpan.FromSeconds(10).Ticks));
    }

    /// <summary>
    /// How long after an interval ends it is rolled up: two epochs (at least 10 s), so the interval's last epoch
    /// has been sealed and stored by the capture before its roll-up is made.
    /// </summary>
    public TimeSpan Grace { get; }

    /// <summary>How often <see cref="RunAsync"/> looks for due intervals.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(15);

    /// <summary>Roll-ups sealed and stored.</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>Intervals that could not be rolled up (an input unreadable, or the store refused).</summary>
    public long Failures => Interlocked.Read(ref _failures);

    public async Task RunAsync(Func<long> nowMicros, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                await Task.Delay(Interval, cancellationToken).ConfigureAwait(false);
                try
                {
                    RollUpDue(nowMicros());
                }
                catch (Exception e) when (e is AgentDatabaseException or Microsoft.Data.Sqlite.SqliteException or System.Security.Cryptography.CryptographicException)
                {
                    Count($"roll-up failed: {e.Message}");
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Builds every roll-up due at <paramref name="nowMicros"/> (shortest tier first, so longer ones can use it); returns how many.</summary>
    public int RollUpDue(long nowMicros)
    {
        if (_lengths.Length == 0) return 0;
        string self = _sealer.Self.Value;
        var ids = _store.IdsOf(self).ToList();
        long rawHorizon = _store.HorizonOf(_epochMicros, self);
        long grace = Micros(Grace);
        int built = 0;
        foreach (long length in _lengths)
        {
            var done = ids.Where(id => id.LengthMicros == length).Select(id => id.StartMicros).ToHashSet();
            var due = ids
                .Where(id => id.LengthMicros < length)
                .GroupBy(id => EpochRollup.AlignDown(id.StartMicros, length))
                .Where(g => g.Key >= rawHorizon && g.Key <= nowMicros - grace - length && !done.Contains(g.Key))
                .OrderBy(g => g.Key)
                .ToList();
            foreach (var interval in due)
            {
                if (RollUp(interval.Key, length, interval) is { } id)
                {
                    ids.Add(id);
                    built++;
                }
            }
        }
        return built;
    }

    private EpochId? RollUp(long start, long length, IEnumerable<EpochId> candidates)
    {
        var inputs = new List<EpochRecord>();
        foreach (var id in CoarsestCover.Choose(candidates, start, start + length))
        {
            if (Read(id) is not { } record)
            {
                Count($"the roll-up of {Core.UnixMicros.Format(start)} (+{length / 1_000_000} s) was not made: record {id} could not be read");
                return null;
            }
            inputs.Add(record);
        }
        if (inputs.Count == 0) return null; // an input straddles the interval (an epoch that does not divide it)
        var rollup = EpochRollup.RollUp(inputs, length).Single();
        if (!_store.Write(_sealer.Seal(rollup)))
        {
            Count($"the roll-up {rollup.Id} was not stored (already held, or behind the horizon)");
            return null;
        }
        Interlocked.Increment(ref _written);
        return rollup.Id;
    }

    private EpochRecord? Read(EpochId id)
    {
        var envelope = _store.Read(id);
        if (envelope is null || !SignedRecord.TryDecode(envelope, out var signed, out _) || signed is null) return null;
        try
        {
            var record = EpochRecord.Decode(signed.Record, _key);
            return record.Id == id ? record : null;
        }
        catch (EpochRecordFormatException)
        {
            return null;
        }
    }

    private void Count(string message)
    {
        Interlocked.Increment(ref _failures);
        if (_failureLogged) return;
        _failureLogged = true;
        _log.WriteLine($"flowmesh: {message} (further roll-up failures are only counted)");
    }

    private static long Micros(TimeSpan span) => Core.UnixMicros.FromDuration(span);
}
