namespace Flowmesh.Capture;

/// <summary>What a capture source saw and lost. Fields a source cannot know are null.</summary>
public sealed record CaptureStatistics
{
    /// <summary>Frames read from the file or handed over by the kernel.</summary>
    public long Frames { get; init; }
    /// <summary>Captured bytes of those frames.</summary>
    public long CapturedBytes { get; init; }
    /// <summary>Packets the kernel dropped for lack of buffer space (pcap ps_drop); null for files.</summary>
    public long? KernelDrops { get; init; }
    /// <summary>Packets the interface or driver dropped (pcap ps_ifdrop); null when unknown.</summary>
    public long? InterfaceDrops { get; init; }
    /// <summary>For files: bytes consumed and total size, for progress. Null for live sources.</summary>
    public long? BytesConsumed { get; init; }
    public long? BytesTotal { get; init; }
    /// <summary>Set when the input could not be read to its end: what was wrong and where (byte offset, frame number).</summary>
    public string? StoppedEarly { get; init; }
}
