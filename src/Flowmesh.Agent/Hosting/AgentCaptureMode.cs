namespace Flowmesh.Agent.Hosting;

/// <summary>What `flowmesh agent --capture` chose.</summary>
internal enum AgentCaptureMode
{
    /// <summary>eBPF on Linux when it works, libpcap otherwise (one line says why).</summary>
    Auto,
    Ebpf,
    Pcap,
    /// <summary>No capture at all: the node gossips, stores and serves peers' records but seals none of its own.</summary>
    None,
}
