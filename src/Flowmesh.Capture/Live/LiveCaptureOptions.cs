namespace Flowmesh.Capture.Live;

/// <summary>
/// How to open a live capture. Defaults follow ../shared/reference/capture-from-dotnet.md (2, 3.1):
/// 128-byte snap length and a 32 MiB ring lost no packets at ~220 kpps; immediate mode stays off
/// because it silently downgrades libpcap from TPACKET_V3 to V2 and costs a third of the throughput.
/// </summary>
public sealed record LiveCaptureOptions
{
    /// <summary>Interface name; null picks the default-route interface.</summary>
    public string? Interface { get; init; }
    /// <summary>Bytes kept per frame: enough for Ethernet + VLANs + IPv6 with extension headers + TCP.</summary>
    public int SnapLength { get; init; } = 128;
    /// <summary>Size of the kernel ring (libpcap's default of 2 MB drops under bursts).</summary>
    public int KernelBufferBytes { get; init; } = 32 * 1024 * 1024;
    /// <summary>
    /// How long the kernel holds a partly filled block, and how long one wait for packets lasts:
    /// bounds both the delivery latency and how quickly cancellation is noticed.
    /// </summary>
    public int ReadTimeoutMilliseconds { get; init; } = 100;
    public bool Promiscuous { get; init; }
    /// <summary>A BPF filter expression compiled by libpcap ("tcp or udp"); null captures everything.</summary>
    public string? Filter { get; init; }
}
