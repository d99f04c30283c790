using Flowmesh.Core.Flows;
using Flowmesh.Capture;
using Flowmesh.Core.Epochs;
using Flowmesh.Core.Packets;

namespace Flowmesh.Agent.Cli;

/// <summary>Lets a capture loop feed an <see cref="EpochSummarizer"/> (a struct, so the per-frame call is direct).</summary>
internal readonly struct SummarizeFrameSink(EpochSummarizer summarizer) : ICaptureSink
{
    public void ObservePacket(LinkType linkType, long timestampMicros, ReadOnlySpan<byte> frame) =>
        summarizer.ObservePacket(linkType, timestampMicros, frame);

    public void ObserveAggregates(Span<FlowAggregate> aggregates) => summarizer.ObserveAggregates(aggregates);

    public void AdvanceTime(long nowMicros) => summarizer.AdvanceTime(nowMicros);

    public long NextDeadlineMicros => summarizer.NextCutMicros;

    public void ReadFailed(Exception error) => System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(error).Throw();
}
