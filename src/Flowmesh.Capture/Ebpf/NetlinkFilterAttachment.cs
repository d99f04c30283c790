namespace Flowmesh.Capture.Ebpf;

/// <summary>
/// cls_bpf filters (direct-action) on a clsact qdisc, for kernels without TCX. Unlike TCX links these stay
/// in the kernel when the process dies, so they use a fixed handle and priority by which
/// <see cref="StaleFilterCleanup"/> finds and removes a killed agent's leftovers. The clsact qdisc is removed
/// again only if this attachment created it: other tools may have filters on an existing one.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")] // netlink, tc/tcx, bpf(): Linux only (docs/windows.md)
internal sealed unsafe class NetlinkFilterAttachment : IHookAttachment
{
    /// <summary>"FM": identifies our filters together with the program name (tc filter show: "flowmesh_in:[id]").</summary>
    public const uint Handle = 0x464D;
    /// <summary>Priority 1: cls_bpf runs filters in priority order, and counting must come before anything that drops or redirects.</summary>
    public const uint Priority = 1;

    private readonly bool _createdQdisc;
    private int _disposed;

    private NetlinkFilterAttachment(EbpfAttachedInterface attached, bool createdQdisc)
    {
        Interface = attached;
        _createdQdisc = createdQdisc;
    }

    public EbpfAttachedInterface Interface { get; }

    /// <summary>Returns 0 and the attachment, or a negative errno (nothing left attached).</summary>
    public static int TryAttach(LinuxNetworkInterface target, int ingressProgramFd, int egressProgramFd, out NetlinkFilterAttachment? attachment)
    {
        attachment = null;
        BpfTcHook qdisc = BpfTcHook.For(target.Index, Libbpf.BpfTcIngress | Libbpf.BpfTcEgress);
        int created = Libbpf.bpf_tc_hook_create(&qdisc);
        if (created < 0 && created != -Errno.Exists) return created;
        bool createdQdisc = created == 0;

        int result = AttachOne(target.Index, Libbpf.BpfTcIngress, ingressProgramFd);
        if (result == 0)
        {
            result = AttachOne(target.Index, Libbpf.BpfTcEgress, egressProgramFd);
            if (result != 0) DetachOne(target.Index, Libbpf.BpfTcIngress);
        }
        if (result != 0)
        {
            if (createdQdisc) Libbpf.bpf_tc_hook_destroy(&qdisc);
            return result;
        }
        attachment = new NetlinkFilterAttachment(new EbpfAttachedInterface(target.Name, target.Index, EbpfAttachMode.Netlink), createdQdisc);
        return 0;
    }

    private static int AttachOne(int ifindex, int attachPoint, int programFd)
    {
        BpfTcHook hook = BpfTcHook.For(ifindex, attachPoint);
        BpfTcOptions options = BpfTcOptions.For(Handle, Priority, programFd);
        return Libbpf.bpf_tc_attach(&hook, &options);
    }

    /// <summary>Removes the filter at our handle/priority; returns 0 or a negative errno.</summary>
    public static int DetachOne(int ifindex, int attachPoint)
    {
        BpfTcHook hook = BpfTcHook.For(ifindex, attachPoint);
        BpfTcOptions options = BpfTcOptions.For(Handle, Priority);
        return Libbpf.bpf_tc_detach(&hook, &options);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        DetachOne(Interface.Index, Libbpf.BpfTcIngress);
        DetachOne(Interface.Index, Libbpf.BpfTcEgress);
        if (_createdQdisc)
        {
            BpfTcHook qdisc = BpfTcHook.For(Interface.Index, Libbpf.BpfTcIngress | Libbpf.BpfTcEgress);
            Libbpf.bpf_tc_hook_destroy(&qdisc);
        }
    }
}
