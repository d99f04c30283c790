using System.Text;

namespace Flowmesh.Capture.Ebpf;

/// <summary>
/// Removes cls_bpf filters a killed agent left behind (netlink attachments survive SIGKILL; TCX links and
/// the maps do not, and nothing is pinned). A filter is ours only if it sits at our handle/priority AND
/// runs a program named flowmesh_*: a foreign filter that happens to use the same numbers is left alone.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")] // netlink, tc/tcx, bpf(): Linux only (docs/windows.md)
internal static unsafe class StaleFilterCleanup
{
    private const string ProgramNamePrefix = "flowmesh_";
    private const int ProgramInfoSize = 232;   // sizeof(struct bpf_prog_info) in the 6.x UAPI
    private const int ProgramInfoNameOffset = 64;
    private const int ProgramInfoIdOffset = 4;  // struct bpf_prog_info { __u32 type; __u32 id; ... }
    private const int ProgramNameLength = 16;

    /// <summary>Checks every interface of the current network namespace; returns what was removed ("eth0 ingress").</summary>
    public static IReadOnlyList<string> Run()
    {
        var removed = new List<string>();
        foreach (LinuxNetworkInterface candidate in LinuxNetworkInterface.ReadAll())
        {
            foreach ((int attachPoint, string name) in new[] { (Libbpf.BpfTcIngress, "ingress"), (Libbpf.BpfTcEgress, "egress") })
            {
                if (IsOurs(candidate.Index, attachPoint) && NetlinkFilterAttachment.DetachOne(candidate.Index, attachPoint) == 0)
                    removed.Add($"{candidate.Name} {name}");
            }
        }
        return removed;
    }

    private static bool IsOurs(int ifindex, int attachPoint)
    {
        BpfTcHook hook = BpfTcHook.For(ifindex, attachPoint);
        BpfTcOptions query = BpfTcOptions.For(NetlinkFilterAttachment.Handle, NetlinkFilterAttachment.Priority);
        if (Libbpf.bpf_tc_query(&hook, &query) != 0) return false; // no clsact, or no filter there
        string? name = ProgramName(query.ProgramId);
        return name is not null && name.StartsWith(ProgramNamePrefix, StringComparison.Ordinal);
    }

    /// <summary>The kernel's id of the program behind <paramref name="programFd"/> (bpf_prog_info.id), or null.</summary>
    internal static uint? ProgramId(int programFd)
    {
        byte* info = stackalloc byte[ProgramInfoSize];
        new Span<byte>(info, ProgramInfoSize).Clear();
        uint length = ProgramInfoSize;
        if (Libbpf.bpf_obj_get_info_by_fd(programFd, info, &length) != 0) return null;
        return *(uint*)(info + ProgramInfoIdOffset);
    }

    internal static string? ProgramName(uint programId)
    {
        int fd = Libbpf.bpf_prog_get_fd_by_id(programId);
        if (fd < 0) return null;
        try
        {
            byte* info = stackalloc byte[ProgramInfoSize];
            new Span<byte>(info, ProgramInfoSize).Clear();
            uint length = ProgramInfoSize;
            if (Libbpf.bpf_obj_get_info_by_fd(fd, info, &length) != 0) return null;
            var name = new ReadOnlySpan<byte>(info + ProgramInfoNameOffset, ProgramNameLength);
            int end = name.IndexOf((byte)0);
            return Encoding.ASCII.GetString(end < 0 ? name : name[..end]);
        }
        finally
        {
            Libc.close(fd);
        }
    }
}
