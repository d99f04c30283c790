namespace Flowmesh.Capture;

/// <summary>
/// What the command line asked of a live capture. No interface means the default: every interface that is
/// up for eBPF, the interface of the default route for libpcap.
/// </summary>
public sealed record LiveCaptureRequest(
    IReadOnlyList<string> Interfaces, string? Filter, int SnapLength, int BufferBytes, bool Promiscuous,
    CaptureBackend Backend = CaptureBackend.Auto, int EbpfMapSize = Ebpf.EbpfCaptureOptions.DefaultMaxFlows);
