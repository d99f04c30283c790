namespace Flowmesh.Core.Tests;

internal static class AllocationMeter
{
    /// <summary>
    /// Bytes <paramref name="action"/> allocates on this thread in steady state: the least over a few
    /// runs after a warm-up. One-time costs (tier-up and on-stack replacement compile on the calling
    /// thread, static initialisation) can land in any single window when the machine is busy; an
    /// allocation per packet or update shows in every window, so the minimum still catches it.
    /// </summary>
    public static long Measure(Action action, int windows = 5)
    {
        action();
        long least = long.MaxValue;
        for (int i = 0; i < windows && least != 0; i++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            action();
            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        return least;
    }
}
