using Flowmesh.Capture;
using Flowmesh.Core.Epochs;
using Flowmesh.Core.Packets;

namespace Flowmesh.Agent.Hosting;

/// <summary>
/// A packet capture loop's sink for the agent: frames to the summarizer; on idle time (the loop's read timeout,
/// ~10 times a second) the kernel drops since the last look are charged to the open epoch and the summarizer's
/// clock moves, which seals the epoch on time even when nothing arrives. A struct: the per-frame call is direct.
/// </summary>
internal readonly struct AgentFrameSink(EpochSummarizer summarizer, KernelDropTracker drops) : IFrameSink
{
    public void ObservePacket(LinkType linkType, long timestampMicros, ReadOnlySpan<byte> frame) =>
        summarizer.ObservePacket(linkType, timestampMicros, frame);

    public void AdvanceTime(long nowMicros)
    {
        drops.ChargeTo(summarizer);
        summarizer.AdvanceTime(nowMicros);
    }
}
