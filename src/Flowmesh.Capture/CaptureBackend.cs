namespace Flowmesh.Capture;

/// <summary>What `--capture` chose for a live capture.</summary>
public enum CaptureBackend
{
    /// <summary>eBPF on Linux when it works there, libpcap otherwise (with one line saying why).</summary>
    Auto,
    /// <summary>The in-kernel flow program; an error when it cannot run.</summary>
    Ebpf,
    /// <summary>libpcap: every packet copied to user space; the only one that takes a BPF filter.</summary>
    Pcap,
}
