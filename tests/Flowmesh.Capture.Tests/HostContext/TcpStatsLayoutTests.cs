using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Flowmesh.Capture.HostContext.Tcp;
using Flowmesh.Capture.Tests.Ebpf;

namespace Flowmesh.Capture.Tests.HostContext;

/// <summary>The C# mirrors of src/ebpf/tcp_stats_maps.h have the C structs' sizes and offsets, as clang computes them.</summary>
public sealed class TcpStatsLayoutTests
{
    [Fact]
    public void Mirrors_match_the_header_compiled_by_clang()
    {
        string? clang = EbpfPrerequisites.Clang;
        if (clang is null) Assert.Skip("clang is not installed");
        string header = Path.Combine(EbpfPrerequisites.RepositoryRoot, "src", "ebpf", "tcp_stats_maps.h");
        string source = Path.Combine(Path.GetTempPath(), $"fmtcp-layout-{Environment.ProcessId}.c");
        string program = Path.ChangeExtension(source, null);
        File.WriteAllText(source, $$"""
            #include <stdio.h>
            #include <stddef.h>
            #include "{{header}}"
            int main(void) {
              printf("%zu %zu %zu %zu %zu %zu %zu %zu %zu\n", sizeof(struct flowmesh_tuple), sizeof(struct flowmesh_tcp_path),
                sizeof(struct flowmesh_drop_key), sizeof(struct flowmesh_drop_count), offsetof(struct flowmesh_tuple, source_port),
                offsetof(struct flowmesh_tuple, protocol), offsetof(struct flowmesh_tcp_path, retransmits),
                offsetof(struct flowmesh_drop_key, reason), (size_t)FLOWMESH_HOOK_COUNTER_COUNT);
              return 0;
            }
            """);
        try
        {
            Command.Check(clang, "-o", program, source);
            string[] c = Command.Check(program).Split(' ', StringSplitOptions.TrimEntries);
            long[] mirror =
            [
                Unsafe.SizeOf<KernelTuple>(), Unsafe.SizeOf<KernelTcpPath>(), Unsafe.SizeOf<KernelDropKey>(), Unsafe.SizeOf<KernelDropCount>(),
                Marshal.OffsetOf<KernelTuple>("_sourcePort"), Marshal.OffsetOf<KernelTuple>("_protocol"),
                Marshal.OffsetOf<KernelTcpPath>(nameof(KernelTcpPath.Retransmits)), Marshal.OffsetOf<KernelDropKey>(nameof(KernelDropKey.Reason)),
                typeof(TcpStatsHookCounters).GetProperties().Length,
            ];
            Assert.Equal(c.Select(long.Parse), mirror);
        }
        finally
        {
            File.Delete(source);
            File.Delete(program);
        }
    }
}
