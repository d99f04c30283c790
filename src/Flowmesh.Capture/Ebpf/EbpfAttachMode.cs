namespace Flowmesh.Capture.Ebpf;

/// <summary>How the flow program is hooked into an interface's ingress and egress.</summary>
public enum EbpfAttachMode
{
    /// <summary>TCX links when the kernel has them (6.6+), else netlink cls_bpf filters.</summary>
    Auto,
    /// <summary>TCX bpf_links: owned by this process, the kernel detaches them when it exits, even on SIGKILL.</summary>
    Tcx,
    /// <summary>cls_bpf filters on a clsact qdisc via netlink: outlive the process; removed by Dispose or by the next start.</summary>
    Netlink,
}
