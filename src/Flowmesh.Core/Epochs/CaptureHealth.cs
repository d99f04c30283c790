namespace Flowmesh.Core.Epochs;

/// <summary>
/// What the capture itself saw and lost during the epoch, so a reader can judge how complete the numbers are.
/// </summary>
/// <param name="Frames">Frames handed to the meter.</param>
/// <param name="KernelDrops">Packets the kernel dropped before we saw them (0 for files).</param>
/// <param name="DecodeFailures">Frames that yielded no flow observation.</param>
/// <param name="Evictions">Flows ended early because the flow table was full.</param>
/// <param name="ForeignPackets">Packets seen but left to another agent by the flow-ownership rule.</param>
public readonly record struct CaptureHealth(ulong Frames, ulong KernelDrops, ulong DecodeFailures, ulong Evictions, ulong ForeignPackets)
{
    public static CaptureHealth operator +(CaptureHealth a, CaptureHealth b) => new(
        a.Frames + b.Frames, a.KernelDrops + b.KernelDrops, a.DecodeFailures + b.DecodeFailures,
        a.Evictions + b.Evictions, a.ForeignPackets + b.ForeignPackets);
}
