namespace Flowmesh.Gossip.Security;

/// <summary>
/// Where a sender's sequence numbers start, so each life of a node continues above the previous one whatever its
/// clock did in between (issue 15: an agent restarted with its clock an hour behind was refused as a replay by every
/// peer that remembered its earlier, clock-based numbers). A node that can persist reserves a block of
/// <see cref="BlockSize"/> numbers per life: the next life starts at the end of the saved block, or at the wall clock
/// in microseconds when that is higher (a fresh data directory, or peers that remember clock-based numbers).
/// </summary>
public static class SequenceReservation
{
    /// <summary>Numbers one life may use: 2^40, a million packets a second for 12 days. 2^64 holds 16 million lives.</summary>
    public const ulong BlockSize = 1UL << 40;

    /// <summary>The clock-based start of a sender that persists nothing (the wall clock in microseconds, at least 1).</summary>
    public static ulong ClockStart(DateTimeOffset now) => (ulong)Math.Max(1, now.ToUnixTimeMilliseconds()) * 1000;

    /// <summary>
    /// This life's first sequence number and the value to save as the next life's floor, given the saved floor
    /// (null on a new data directory). Save the floor before sending.
    /// </summary>
    public static (ulong First, ulong NextFloor) Reserve(ulong? savedFloor, DateTimeOffset now)
    {
        var first = Math.Max(savedFloor ?? 0, ClockStart(now));
        if (first > ulong.MaxValue - BlockSize) throw new InvalidOperationException("the sequence space is used up; the node needs a new name (NodeId)");
        return (first, first + BlockSize);
    }
}
