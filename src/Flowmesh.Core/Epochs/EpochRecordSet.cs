namespace Flowmesh.Core.Epochs;

/// <summary>
/// The global view's input: records of many origins, each present at most once. This type is what makes merging
/// exact-once: records are keyed by <see cref="EpochId"/>; a second delivery of the same record is ignored; a
/// different record under the same id, or a record whose interval overlaps another of the same origin (a 1 min
/// roll-up next to its own 10 s records), is refused with <see cref="EpochConflictException"/>, because summing it
/// would count the same traffic twice. Its <see cref="Records"/> feed <see cref="Views.GlobalView"/>, which sums each
/// record exactly once, so the answer does not depend on delivery order or repetition.
/// </summary>
public sealed class EpochRecordSet
{
    private readonly Dictionary<EpochId, EpochRecord> _byId = [];
    private readonly Dictionary<string, List<EpochRecord>> _byOrigin = new(StringComparer.Ordinal);
    private string? _parameters;

    public int Count => _byId.Count;

    /// <summary>The records, ordered by origin and start.</summary>
    public IReadOnlyList<EpochRecord> Records =>
        _byId.Values.OrderBy(r => r.Id.Origin, StringComparer.Ordinal).ThenBy(r => r.Id.StartMicros).ThenBy(r => r.Id.LengthMicros).ToList();

    public EpochRecordAddResult Add(EpochRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (_byId.TryGetValue(record.Id, out var present))
        {
            if (present.ContentHash == record.ContentHash) return EpochRecordAddResult.Duplicate;
            throw new EpochConflictException($"Two different records claim id {record.Id} (content {present.ContentHash[..16]} vs {record.ContentHash[..16]}); merging either would make the answer depend on which arrived first.");
        }
        string parameters = record.Contents.Parameters;
        if (_parameters is not null && parameters != _parameters)
            throw new EpochConflictException($"Record {record.Id} was built with other sketch parameters ({parameters}) than the others ({_parameters}); they cannot be merged.");
        if (!_byOrigin.TryGetValue(record.Id.Origin, out var sameOrigin))
            _byOrigin[record.Id.Origin] = sameOrigin = [];
        foreach (var other in sameOrigin)
        {
            if (other.Id.Overlaps(record.Id))
                throw new EpochConflictException($"Record {record.Id} overlaps {other.Id} of the same origin; merging both would count that traffic twice.");
        }
        sameOrigin.Add(record);
        _byId.Add(record.Id, record);
        _parameters ??= parameters;
        return EpochRecordAddResult.Added;
    }

    public bool Contains(EpochId id) => _byId.ContainsKey(id);

    internal static EpochContents MergeContents(IReadOnlyList<EpochRecord> records)
    {
        var merged = records[0].Contents.CreateEmptyLike();
        foreach (var record in records) merged.MergeFrom(record.Contents);
        return merged;
    }
}
