namespace Flowmesh.Capture.Ebpf;

/// <summary>
/// Two TCX bpf_links (ingress, egress). The links live as long as their fds: if the agent dies, even by
/// SIGKILL, the kernel detaches them, so nothing is ever left behind. Appended after programs already attached.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")] // netlink, tc/tcx, bpf(): Linux only (docs/windows.md)
internal sealed class TcxHookAttachment : IHookAttachment
{
    private int _ingressLinkFd;
    private int _egressLinkFd;

    private TcxHookAttachment(EbpfAttachedInterface attached, int ingressLinkFd, int egressLinkFd)
    {
        Interface = attached;
        _ingressLinkFd = ingressLinkFd;
        _egressLinkFd = egressLinkFd;
    }

    public EbpfAttachedInterface Interface { get; }

    /// <summary>Returns 0 and the attachment, or the negative errno of the first failing link (nothing left attached).</summary>
    public static int TryAttach(LinuxNetworkInterface target, int ingressProgramFd, int egressProgramFd, out TcxHookAttachment? attachment)
    {
        attachment = null;
        int ingress = Libbpf.bpf_link_create(ingressProgramFd, target.Index, Libbpf.BpfTcxIngress, 0);
        if (ingress < 0) return ingress;
        int egress = Libbpf.bpf_link_create(egressProgramFd, target.Index, Libbpf.BpfTcxEgress, 0);
        if (egress < 0)
        {
            Libc.close(ingress);
            return egress;
        }
        attachment = new TcxHookAttachment(new EbpfAttachedInterface(target.Name, target.Index, EbpfAttachMode.Tcx), ingress, egress);
        return 0;
    }

    public void Dispose()
    {
        int ingress = Interlocked.Exchange(ref _ingressLinkFd, -1);
        int egress = Interlocked.Exchange(ref _egressLinkFd, -1);
        if (ingress >= 0) Libc.close(ingress);
        if (egress >= 0) Libc.close(egress);
    }
}
