using System.Runtime.InteropServices;

namespace Flowmesh.Capture.Ebpf;

/// <summary>
/// The slice of the system libbpf (libbpf.so.1, i.e. libbpf 1.x) the flow collector needs. Raw pointers
/// and blittable structs only: <c>LibraryImport</c> then generates no marshalling code. In libbpf 1.x,
/// int-returning calls return -errno; pointer-returning calls return NULL and set errno.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")] // netlink, tc/tcx, bpf(): Linux only (docs/windows.md)
internal static unsafe partial class Libbpf
{
    public const string LibraryName = "libbpf.so.1";

    [LibraryImport(LibraryName, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint bpf_object__open_file(string path, nint options);

    [LibraryImport(LibraryName)]
    public static partial int bpf_object__load(nint bpfObject);

    [LibraryImport(LibraryName)]
    public static partial void bpf_object__close(nint bpfObject);

    [LibraryImport(LibraryName, StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint bpf_object__find_program_by_name(nint bpfObject, string name);

    [LibraryImport(LibraryName, StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint bpf_object__find_map_by_name(nint bpfObject, string name);

    [LibraryImport(LibraryName)]
    public static partial int bpf_map__set_max_entries(nint map, uint maxEntries);

    [LibraryImport(LibraryName)]
    public static partial int bpf_map__fd(nint map);

    [LibraryImport(LibraryName)]
    public static partial int bpf_program__fd(nint program);

    /// <summary>
    /// Used for TCX (attach types 46/47) instead of bpf_program__attach_tcx, which only exists from
    /// libbpf 1.3: this low-level call passes attach types it does not know through to the kernel, so
    /// it works with every libbpf 1.x on a TCX kernel. The returned fd is the link; closing it detaches.
    /// </summary>
    [LibraryImport(LibraryName)]
    public static partial int bpf_link_create(int programFd, int targetFdOrIfindex, int attachType, nint options);

    [LibraryImport(LibraryName)]
    public static partial int bpf_tc_hook_create(BpfTcHook* hook);

    [LibraryImport(LibraryName)]
    public static partial int bpf_tc_hook_destroy(BpfTcHook* hook);

    [LibraryImport(LibraryName)]
    public static partial int bpf_tc_attach(BpfTcHook* hook, BpfTcOptions* options);

    [LibraryImport(LibraryName)]
    public static partial int bpf_tc_detach(BpfTcHook* hook, BpfTcOptions* options);

    [LibraryImport(LibraryName)]
    public static partial int bpf_tc_query(BpfTcHook* hook, BpfTcOptions* options);

    [LibraryImport(LibraryName)]
    public static partial int bpf_map_lookup_and_delete_batch(int mapFd, void* inBatch, void* outBatch, void* keys, void* values, uint* count, BpfMapBatchOptions* options);

    [LibraryImport(LibraryName)]
    public static partial int bpf_map_get_next_key(int mapFd, void* key, void* nextKey);

    [LibraryImport(LibraryName)]
    public static partial int bpf_map_lookup_elem(int mapFd, void* key, void* value);

    [LibraryImport(LibraryName)]
    public static partial int bpf_map_lookup_and_delete_elem(int mapFd, void* key, void* value);

    [LibraryImport(LibraryName)]
    public static partial int bpf_map_delete_elem(int mapFd, void* key);

    /// <summary>flags: BPF_ANY (0). On a map-in-map it returns after an RCU grace period: no program still uses the old inner map.</summary>
    [LibraryImport(LibraryName)]
    public static partial int bpf_map_update_elem(int mapFd, void* key, void* value, ulong flags);

    [LibraryImport(LibraryName)]
    public static partial int bpf_prog_get_fd_by_id(uint id);

    [LibraryImport(LibraryName)]
    public static partial int bpf_obj_get_info_by_fd(int fd, void* info, uint* infoLength);

    /// <summary>Attaches a tracing program (fentry, tp_btf) where its SEC() name says; NULL and errno on failure. The link detaches when destroyed.</summary>
    [LibraryImport(LibraryName, SetLastError = true)]
    public static partial nint bpf_program__attach(nint program);

    [LibraryImport(LibraryName)]
    public static partial int bpf_link__destroy(nint link);

    /// <summary>Leaves a program out of bpf_object__load (its kernel function is missing here).</summary>
    [LibraryImport(LibraryName)]
    public static partial int bpf_program__set_autoload(nint program, [MarshalAs(UnmanagedType.U1)] bool autoload);

    [LibraryImport(LibraryName)]
    public static partial int libbpf_num_possible_cpus();

    /// <summary>Text for libbpf's own error numbers (4000 and up, e.g. "Invalid ELF format") as well as errno.</summary>
    [LibraryImport(LibraryName)]
    public static partial int libbpf_strerror(int error, byte* buffer, nuint size);

    [LibraryImport(LibraryName)]
    public static partial nint libbpf_set_print(delegate* unmanaged[Cdecl]<int, byte*, nint, int> print);

    // Kernel ABI constants (include/uapi/linux/bpf.h, libbpf.h).
    public const int BpfTcxIngress = 46;
    public const int BpfTcxEgress = 47;
    public const int BpfTcIngress = 1;
    public const int BpfTcEgress = 2;

    // BPF ring buffers (libbpf 0.x/1.x): the DNS source's port-53 packets (DnsRingBuffer).
    [LibraryImport(LibraryName, SetLastError = true)]
    public static partial nint ring_buffer__new(int mapFd, delegate* unmanaged[Cdecl]<nint, void*, nuint, int> sample, nint context, nint options);

    [LibraryImport(LibraryName)]
    public static partial int ring_buffer__poll(nint ring, int timeoutMilliseconds);

    [LibraryImport(LibraryName)]
    public static partial void ring_buffer__free(nint ring);
}
