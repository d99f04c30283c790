using Flowmesh.Capture;
using Flowmesh.Core.Epochs;

namespace Flowmesh.Agent.Hosting;

/// <summary>
/// Turns a capture source's cumulative kernel drop count into per-epoch increments, so each record's health says
/// how much of that epoch the kernel lost. Used from the capture thread only.
/// </summary>
internal sealed class KernelDropTracker(ICaptureSource source)
{
    private long _charged;

    public long Total => Volatile.Read(ref _charged);

    public void ChargeTo(EpochSummarizer summarizer)
    {
        long now = source.Statistics.KernelDrops ?? 0;
        long delta = now - _charged;
        if (delta <= 0) return;
        summarizer.AddKernelDrops((ulong)delta);
        Volatile.Write(ref _charged, now);
    }
}
