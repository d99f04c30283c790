using Flowmesh.Core.Epochs;

namespace Flowmesh.Gossip.Planning;

/// <summary>
/// Who a planning run kills (kill -9) and when: the same nodes for a seed in flat and zone mode, so the two modes'
/// figures under crashes compare like for like.
/// </summary>
internal static class CrashPlan
{
    /// <summary>The epoch before which the victims die (halfway), or -1 when nobody crashes.</summary>
    public static int Epoch(PlanningOptions options) => options.Crash > 0 ? options.Epochs / 2 : -1;

    public static List<string> Victims(PlanningOptions options, IReadOnlyList<string> names)
    {
        var random = new Random(options.Seed * 31 + 7);
        return [.. names.OrderBy(_ => random.Next()).Take((int)(options.Crash * options.Nodes))];
    }

    /// <summary>The victims' records some other node held at the crash (one pass over the holder counts).</summary>
    public static List<EpochId> ReachedPeer(IReadOnlyDictionary<EpochId, int> holders, IReadOnlyCollection<string> victims)
    {
        var dying = victims.ToHashSet(StringComparer.Ordinal);
        return [.. holders.Where(h => h.Value > 1 && dying.Contains(h.Key.Origin)).Select(h => h.Key)];
    }
}
