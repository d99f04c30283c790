namespace Flowmesh.Core.Tests.Sketches;

internal static class AllocationMeter
{
    /// <summary>
    /// Bytes allocated by <paramref name="action"/> on this thread, measured on a second run so one-time costs
    /// (JIT tier-up, static initialisation) are not mistaken for per-update allocation.
    /// </summary>
    public static long Measure(Action action)
    {
        action();
        long before = GC.GetAllocatedBytesForCurrentThread();
        action();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }
}
