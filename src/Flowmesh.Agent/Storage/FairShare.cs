namespace Flowmesh.Agent.Storage;

/// <summary>
/// Max-min fair division of the record byte budget among origins (issue 16): the largest cap C such that every origin
/// keeps min(its bytes, C) and the total fits the budget. An origin under C keeps everything, whatever the others
/// hold; only origins over C lose bytes, and only their own. Why not "oldest first across all origins": one insider
/// signing huge records would then push every honest origin's history off every disk.
/// </summary>
internal static class FairShare
{
    /// <summary>The cap per origin so that the held bytes fit <paramref name="budget"/>; long.MaxValue when they already fit.</summary>
    public static long Cap(IReadOnlyCollection<long> bytesPerOrigin, long budget)
    {
        ArgumentNullException.ThrowIfNull(bytesPerOrigin);
        long total = 0;
        foreach (long bytes in bytesPerOrigin) total = total > long.MaxValue - bytes ? long.MaxValue : total + bytes;
        if (total <= budget) return long.MaxValue;
        long left = Math.Max(0, budget);
        int remaining = bytesPerOrigin.Count;
        foreach (long bytes in bytesPerOrigin.Order())
        {
            long share = left / remaining;
            if (bytes > share) return share;
            left -= bytes;
            remaining--;
        }
        return long.MaxValue; // not reached: the total exceeds the budget, so some origin is over its share
    }
}
