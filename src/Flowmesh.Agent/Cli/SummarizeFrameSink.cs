using Flowmesh.Capture;
using Flowmesh.Core.Epochs;
using Flowmesh.Core.Packets;

namespace Flowmesh.Agent.Cli;

/// <summary>Lets a capture loop feed an <see cref="EpochSummarizer"/> (a struct, so the per-frame call is direct).</summary>
internal readonly struct SummarizeFrameSink(EpochSummarizer summarizer) : IFrameSink
{
    public void ObservePacket(LinkType linkType, long timestampMicros, ReadOnlySpan<byte> frame) =>
        summarizer.ObservePacket(linkType, timestampMicros, frame);

    public void AdvanceTime(long nowMicros) => summarizer.AdvanceTime(nowMicros);
}
