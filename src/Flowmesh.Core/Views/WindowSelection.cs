using Flowmesh.Core.Epochs;

namespace Flowmesh.Core.Views;

/// <summary>
/// Picks the records a window merges, exactly once each, whatever the order or repetition of the input:
/// <list type="number">
/// <item>only records wholly inside the window (a record cannot be split);</item>
/// <item>only the cluster's sketch parameters when given (issue 16), else those most records share (others cannot be merged);</item>
/// <item>one record per id: copies are ignored; different contents under one id are a conflict, resolved by the
/// lowest content hash so every node picks the same one;</item>
/// <item>per origin, no two overlapping records (<see cref="CoarsestCover"/>): longer records (roll-ups) first, then
/// the shorter ones that fill what they leave. A roll-up holds the traffic of its parts, and merging fewer records is
/// cheaper.</item>
/// </list>
/// </summary>
internal sealed class WindowSelection
{
    public List<EpochRecord> Chosen { get; } = [];
    public int Duplicates { get; private set; }
    public int Overlaps { get; private set; }
    public int Straddling { get; private set; }
    public List<string> Conflicts { get; } = [];

    public static WindowSelection Select(IEnumerable<EpochRecord> records, ViewWindow window, long preferredLongestMicros = long.MaxValue, string? clusterSettings = null)
    {
        var selection = new WindowSelection();
        var inside = new List<EpochRecord>();
        foreach (var record in records)
        {
            ArgumentNullException.ThrowIfNull(record);
            var id = record.Id;
            if (window.Contains(id.StartMicros, id.EndMicros)) inside.Add(record);
            else if (id.StartMicros < window.ToMicros && window.FromMicros < id.EndMicros) selection.Straddling++;
        }
        if (inside.Count == 0) return selection;

        // Sketch parameters: the set shared by most distinct records (ties: ordinal order), so the choice does not depend on arrival order.
        var byParameters = inside.GroupBy(r => r.Contents.Parameters)
            .Select(g => (Parameters: g.Key, Ids: g.Select(r => r.Id).Distinct().Count()))
            .OrderByDescending(g => g.Ids).ThenBy(g => g.Parameters, StringComparer.Ordinal).ToList();
        string parameters = clusterSettings ?? byParameters[0].Parameters;
        foreach (var other in byParameters.Where(g => g.Parameters != parameters))
            selection.Conflicts.Add($"{other.Ids} record(s) built with other sketch parameters ({other.Parameters}) than the rest ({parameters}) were left out.");

        // One record per id. Almost every id is held once, so only ids seen again are grouped (a window of 1,000
        // origins holds 30,000 records, and grouping each id on its own was most of a rebuild that merges nothing).
        var first = new Dictionary<EpochId, EpochRecord>(inside.Count);
        Dictionary<EpochId, List<EpochRecord>>? repeated = null;
        foreach (var record in inside)
        {
            if (record.Contents.Parameters != parameters) continue;
            if (first.TryAdd(record.Id, record)) continue;
            repeated ??= [];
            if (!repeated.TryGetValue(record.Id, out var copies)) repeated[record.Id] = copies = [first[record.Id]];
            copies.Add(record);
        }
        var perId = new List<EpochRecord>(first.Count);
        foreach (var (id, record) in first)
        {
            if (repeated is null || !repeated.TryGetValue(id, out var group))
            {
                perId.Add(record);
                continue;
            }
            var distinct = group.GroupBy(r => r.ContentHash, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
            selection.Duplicates += group.Count - distinct.Count;
            if (distinct.Count > 1)
                selection.Conflicts.Add($"{distinct.Count} different records claim {id}; used content {distinct[0].Key[..16]}, ignored {string.Join(", ", distinct.Skip(1).Select(d => d.Key[..16]))}.");
            perId.Add(distinct[0].First());
        }

        foreach (var origin in perId.GroupBy(r => r.Id.Origin, StringComparer.Ordinal))
        {
            var byId = origin.ToDictionary(r => r.Id);
            var accepted = CoarsestCover.ChooseOneOrigin([.. byId.Keys], preferredLongestMicros);
            selection.Overlaps += byId.Count - accepted.Count;
            selection.Chosen.AddRange(accepted.Select(id => byId[id]));
        }
        selection.Chosen.Sort((a, b) =>
        {
            int c = string.CompareOrdinal(a.Id.Origin, b.Id.Origin);
            return c != 0 ? c : a.Id.StartMicros.CompareTo(b.Id.StartMicros);
        });
        return selection;
    }
}
