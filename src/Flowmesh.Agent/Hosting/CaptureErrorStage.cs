namespace Flowmesh.Agent.Hosting;

/// <summary>
/// Where on the capture thread an exception was caught (the <c>stage</c> label of
/// <c>flowmesh_capture_errors_total</c>). Values must stay 0..n-1: they index <see cref="CaptureErrors"/>.
/// </summary>
internal enum CaptureErrorStage
{
    /// <summary>One captured frame into the summarizer (decode, flow table, an epoch cut it triggers): that frame is dropped.</summary>
    Packet,
    /// <summary>An idle tick (kernel drops, the clock, an epoch sealed on time): retried at the next tick.</summary>
    Tick,
    /// <summary>A flow's delta into the epoch summary (sketches, totals): that delta is left out of the record.</summary>
    Summary,
    /// <summary>A flow's delta into the drill-down flow log, or an epoch's hand-over to its writer.</summary>
    FlowLog,
    /// <summary>Building, signing, storing or publishing a sealed record: that record is lost (the capture goes on).</summary>
    Seal,
    /// <summary>One drain of the eBPF flow map (its flows stay in the kernel map for the next drain).</summary>
    Drain,
    /// <summary>The capture loop itself: capture has stopped; the agent goes on without it.</summary>
    Loop,
}
