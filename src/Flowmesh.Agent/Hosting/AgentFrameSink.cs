using Flowmesh.Capture;
using Flowmesh.Core.Epochs;
using Flowmesh.Core.Packets;

namespace Flowmesh.Agent.Hosting;

/// <summary>
/// A packet capture loop's sink for the agent: frames to the summarizer; on idle time (the loop's read timeout,
/// ~10 times a second) the kernel drops since the last look are charged to the open epoch and the summarizer's
/// clock moves, which seals the epoch on time even when nothing arrives. A struct: the per-frame call is direct.
/// </summary>
/// <remarks>
/// The clock moves <see cref="CutGraceMicros"/> behind the wall clock. libpcap hands packets over in blocks that the
/// kernel holds up to the read timeout (100 ms), so at the wall-clock end of an epoch some of its packets may not
/// have been delivered yet; cutting then would count them in the next epoch, while the agent at the other end of
/// the conversation (whose blocks filled sooner) counts them in this one. Where one of the two records is missing
/// and the view uses the other end's "left to peer" section, that disagreement counted a packet twice or not at all
/// (issue 12). A packet stamped at or after the end still cuts the epoch at once; only the idle cut waits.
/// </remarks>
internal readonly struct AgentFrameSink(EpochSummarizer summarizer, KernelDropTracker drops) : IFrameSink
{
    /// <summary>How far behind the wall clock the idle cut runs: five read timeouts.</summary>
    public const long CutGraceMicros = 500_000;

    public void ObservePacket(LinkType linkType, long timestampMicros, ReadOnlySpan<byte> frame) =>
        summarizer.ObservePacket(linkType, timestampMicros, frame);

    public void AdvanceTime(long nowMicros)
    {
        drops.ChargeTo(summarizer);
        summarizer.AdvanceTime(nowMicros - CutGraceMicros);
    }
}
