namespace Flowmesh.Capture.Ebpf;

/// <summary>
/// Converts the kernel's bpf_ktime_get_ns() (CLOCK_MONOTONIC) timestamps to wall-clock time. The offset is
/// sampled when the value is created, so take one per drain: it then follows clock adjustments between drains.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")] // netlink, tc/tcx, bpf(): Linux only (docs/windows.md)
public readonly struct KernelClock
{
    private readonly long _realtimeMinusMonotonicNanoseconds;

    private KernelClock(long offset) => _realtimeMinusMonotonicNanoseconds = offset;

    public static KernelClock Now()
    {
        long monotonicBefore = Libc.NowNanoseconds(Libc.ClockMonotonic);
        long realtime = Libc.NowNanoseconds(Libc.ClockRealtime);
        long monotonicAfter = Libc.NowNanoseconds(Libc.ClockMonotonic);
        return new KernelClock(realtime - (monotonicBefore + (monotonicAfter - monotonicBefore) / 2));
    }

    /// <summary>Microseconds since the Unix epoch, the unit of <see cref="Core.Flows.FlowRecord.StartMicros"/>.</summary>
    public long ToUnixMicros(ulong kernelNanoseconds) => ((long)kernelNanoseconds + _realtimeMinusMonotonicNanoseconds) / 1000;
}
