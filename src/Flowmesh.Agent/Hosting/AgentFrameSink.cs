using Flowmesh.Capture;
using Flowmesh.Core.Epochs;
using Flowmesh.Core.Packets;

namespace Flowmesh.Agent.Hosting;

/// <summary>
/// A packet capture loop's sink for the agent: frames to the summarizer; on idle time (the loop's read timeout,
/// ~10 times a second) the kernel drops since the last look are charged to the open epoch and the summarizer's
/// clock moves, which seals the epoch on time even when nothing arrives. A struct: the per-frame call is direct.
/// An exception from one frame or one tick drops that frame or tick, counted in <see cref="CaptureErrors"/>; the
/// loop goes on (a try block costs nothing on .NET until something throws).
/// </summary>
/// <remarks>
/// The clock moves <see cref="CutGraceMicros"/> behind the wall clock. libpcap hands packets over in blocks that the
/// kernel holds up to the read timeout (100 ms), so at the wall-clock end of an epoch some of its packets may not
/// have been delivered yet; cutting then would count them in the next epoch, while the agent at the other end of
/// the conversation (whose blocks filled sooner) counts them in this one. Where one of the two records is missing
/// and the view uses the other end's "left to peer" section, that disagreement counted a packet twice or not at all
/// (issue 12). A packet stamped at or after the end still cuts the epoch at once; only the idle cut waits.
/// </remarks>
internal readonly struct AgentFrameSink(EpochSummarizer summarizer, KernelDropTracker drops, CaptureErrors errors) : IFrameSink
{
    /// <summary>How far behind the wall clock the idle cut runs: five read timeouts.</summary>
    public const long CutGraceMicros = 500_000;

    public void ObservePacket(LinkType linkType, long timestampMicros, ReadOnlySpan<byte> frame)
    {
        try
        {
            summarizer.ObservePacket(linkType, timestampMicros, frame);
        }
        catch (Exception e)
        {
            errors.Count(CaptureErrorStage.Packet, e, $"a {frame.Length}-byte frame at {timestampMicros} µs");
        }
    }

    public void AdvanceTime(long nowMicros) => Tick(summarizer, drops, errors, nowMicros - CutGraceMicros);

    /// <summary>Idle time: kernel drops to the open epoch, then the clock (which may seal it). Shared with the eBPF loop.</summary>
    public static void Tick(EpochSummarizer summarizer, KernelDropTracker drops, CaptureErrors errors, long nowMicros)
    {
        try
        {
            drops.ChargeTo(summarizer);
            summarizer.AdvanceTime(nowMicros);
        }
        catch (Exception e)
        {
            errors.Count(CaptureErrorStage.Tick, e, $"the clock tick at {nowMicros} µs");
        }
    }
}
