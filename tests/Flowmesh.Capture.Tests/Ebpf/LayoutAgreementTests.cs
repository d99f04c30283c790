using System.Globalization;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Flowmesh.Capture.Ebpf;
using Flowmesh.Capture.HostContext.Processes;

namespace Flowmesh.Capture.Tests.Ebpf;

/// <summary>
/// The C# mirrors read kernel memory byte for byte, so they must agree with what the C compiler makes of
/// src/ebpf/flowmesh_maps.h (and of libbpf's option structs): compile a program that prints every
/// sizeof/offsetof and compare with the CLR's layout.
/// </summary>
public sealed class LayoutAgreementTests
{
    /// <summary>C struct.field -> C# type and field. Every C# instance field must appear here.</summary>
    private static readonly (string C, Type Type, string Field)[] Fields =
    [
        ("flowmesh_flow_key.low_addr", typeof(KernelFlowKey), "_lowAddress"),
        ("flowmesh_flow_key.high_addr", typeof(KernelFlowKey), "_highAddress"),
        ("flowmesh_flow_key.low_port", typeof(KernelFlowKey), "_lowPort"),
        ("flowmesh_flow_key.high_port", typeof(KernelFlowKey), "_highPort"),
        ("flowmesh_flow_key.protocol", typeof(KernelFlowKey), "_protocol"),
        ("flowmesh_flow_key.pad", typeof(KernelFlowKey), "_pad"),
        ("flowmesh_direction.packets", typeof(KernelDirectionCounters), "_packets"),
        ("flowmesh_direction.bytes", typeof(KernelDirectionCounters), "_bytes"),
        ("flowmesh_direction.segments", typeof(KernelDirectionCounters), "_segments"),
        ("flowmesh_direction.first_ns", typeof(KernelDirectionCounters), "_firstNanoseconds"),
        ("flowmesh_direction.last_ns", typeof(KernelDirectionCounters), "_lastNanoseconds"),
        ("flowmesh_direction.tcp_flags", typeof(KernelDirectionCounters), "_tcpFlags"),
        ("flowmesh_direction.icmp_type", typeof(KernelDirectionCounters), "_icmpType"),
        ("flowmesh_direction.icmp_code", typeof(KernelDirectionCounters), "_icmpCode"),
        ("flowmesh_direction.pad", typeof(KernelDirectionCounters), "_pad"),
        ("flowmesh_flow_value.low_to_high", typeof(KernelFlowValue), "_lowToHigh"),
        ("flowmesh_flow_value.high_to_low", typeof(KernelFlowValue), "_highToLow"),
        ("flowmesh_flow_entry.key", typeof(KernelFlowEntry), "_key"),
        ("flowmesh_flow_entry.value", typeof(KernelFlowEntry), "_value"),
        ("flowmesh_process_key.local_addr", typeof(KernelProcessKey), "_localAddress"),
        ("flowmesh_process_key.remote_addr", typeof(KernelProcessKey), "_remoteAddress"),
        ("flowmesh_process_key.local_port", typeof(KernelProcessKey), "_localPort"),
        ("flowmesh_process_key.remote_port", typeof(KernelProcessKey), "_remotePort"),
        ("flowmesh_process_key.protocol", typeof(KernelProcessKey), "_protocol"),
        ("flowmesh_process_key.pad", typeof(KernelProcessKey), "_pad"),
        ("flowmesh_process_value.cgroup_id", typeof(KernelProcessValue), "_cgroupId"),
        ("flowmesh_process_value.seen_ns", typeof(KernelProcessValue), "_seenNanoseconds"),
        ("flowmesh_process_value.tgid", typeof(KernelProcessValue), "_tgid"),
        ("flowmesh_process_value.tid", typeof(KernelProcessValue), "_tid"),
        ("flowmesh_process_value.uid", typeof(KernelProcessValue), "_uid"),
        ("flowmesh_process_value.netns", typeof(KernelProcessValue), "_netns"),
        ("flowmesh_process_value.hook", typeof(KernelProcessValue), "_hook"),
        ("flowmesh_process_value.pad", typeof(KernelProcessValue), "_pad"),
        ("flowmesh_process_value.comm", typeof(KernelProcessValue), "_comm"),
        ("bpf_tc_hook.sz", typeof(BpfTcHook), nameof(BpfTcHook.Size)),
        ("bpf_tc_hook.ifindex", typeof(BpfTcHook), nameof(BpfTcHook.Ifindex)),
        ("bpf_tc_hook.attach_point", typeof(BpfTcHook), nameof(BpfTcHook.AttachPoint)),
        ("bpf_tc_hook.parent", typeof(BpfTcHook), nameof(BpfTcHook.Parent)),
        ("bpf_tc_opts.sz", typeof(BpfTcOptions), nameof(BpfTcOptions.Size)),
        ("bpf_tc_opts.prog_fd", typeof(BpfTcOptions), nameof(BpfTcOptions.ProgramFd)),
        ("bpf_tc_opts.flags", typeof(BpfTcOptions), nameof(BpfTcOptions.Flags)),
        ("bpf_tc_opts.prog_id", typeof(BpfTcOptions), nameof(BpfTcOptions.ProgramId)),
        ("bpf_tc_opts.handle", typeof(BpfTcOptions), nameof(BpfTcOptions.Handle)),
        ("bpf_tc_opts.priority", typeof(BpfTcOptions), nameof(BpfTcOptions.Priority)),
        ("bpf_map_batch_opts.sz", typeof(BpfMapBatchOptions), nameof(BpfMapBatchOptions.Size)),
        ("bpf_map_batch_opts.elem_flags", typeof(BpfMapBatchOptions), nameof(BpfMapBatchOptions.ElementFlags)),
        ("bpf_map_batch_opts.flags", typeof(BpfMapBatchOptions), nameof(BpfMapBatchOptions.Flags)),
    ];

    private static readonly (string C, Type Type)[] Structs =
    [
        ("flowmesh_flow_key", typeof(KernelFlowKey)),
        ("flowmesh_direction", typeof(KernelDirectionCounters)),
        ("flowmesh_flow_value", typeof(KernelFlowValue)),
        ("flowmesh_flow_entry", typeof(KernelFlowEntry)),
        ("flowmesh_process_key", typeof(KernelProcessKey)),
        ("flowmesh_process_value", typeof(KernelProcessValue)),
        ("bpf_tc_hook", typeof(BpfTcHook)),
        ("bpf_tc_opts", typeof(BpfTcOptions)),
        ("bpf_map_batch_opts", typeof(BpfMapBatchOptions)),
    ];

    private static readonly (string C, long Value)[] Constants =
    [
        ("FLOWMESH_MISS_MAP_FULL", (long)KernelCounterIndex.MapFull),
        ("FLOWMESH_MISS_UPDATE_FAILED", (long)KernelCounterIndex.UpdateFailed),
        ("FLOWMESH_NOT_IP", (long)KernelCounterIndex.NotIp),
        ("FLOWMESH_BAD_IP_HEADER", (long)KernelCounterIndex.BadIpHeader),
        ("FLOWMESH_TRUNCATED_TRANSPORT", (long)KernelCounterIndex.TruncatedTransport),
        ("FLOWMESH_IPV6_HEADER_CHAIN", (long)KernelCounterIndex.Ipv6HeaderChain),
        ("FLOWMESH_COUNTER_COUNT", (long)KernelCounterIndex.Count),
        ("FLOWMESH_SYN_WITHOUT_ACK", KernelDirectionCounters.SynWithoutAckBit),
        ("FLOWMESH_DEFAULT_MAX_FLOWS", EbpfCaptureOptions.DefaultMaxFlows),
        ("FLOWMESH_HOOK_TCP_CONNECT", (long)KernelProcessHook.TcpConnect),
        ("FLOWMESH_HOOK_TCP_LISTEN", (long)KernelProcessHook.TcpListen),
        ("FLOWMESH_HOOK_SEND", (long)KernelProcessHook.Send),
        ("FLOWMESH_HOOK_RECEIVE", (long)KernelProcessHook.Receive),
        ("FLOWMESH_HOOK_RAW_SEND", (long)KernelProcessHook.RawSend),
        ("FLOWMESH_HOOK_PACKET_SEND", (long)KernelProcessHook.PacketSend),
        ("FLOWMESH_PROCESS_COUNTER_COUNT", ProcessSocketHooks.CounterCount),
        ("FLOWMESH_PROCESS_DEFAULT_MAX_SOCKETS", ProcessSocketHooks.DefaultMaxSockets),
    ];

    [Fact]
    public void Csharp_mirrors_match_the_c_header_field_by_field()
    {
        if (!OperatingSystem.IsLinux()) Assert.Skip("the layout is compiled with the Linux UAPI headers");
        string? clang = EbpfPrerequisites.Clang;
        if (clang is null) Assert.Skip("clang is not installed (scripts/setup.sh installs it)");
        if (!File.Exists("/usr/include/bpf/libbpf.h")) Assert.Skip("libbpf-dev headers are not installed");

        Dictionary<string, long> c = CompileAndRun(clang);

        var mismatches = new List<string>();
        foreach ((string name, Type type) in Structs)
        {
            long managed = Marshal.SizeOf(type);
            long unmanaged = (int)typeof(Unsafe).GetMethod(nameof(Unsafe.SizeOf))!.MakeGenericMethod(type).Invoke(null, null)!;
            if (c["sizeof " + name] != managed || managed != unmanaged)
                mismatches.Add($"sizeof {name}: C {c["sizeof " + name]}, C# {managed} (Unsafe.SizeOf {unmanaged})");
        }
        foreach ((string name, Type type, string field) in Fields)
        {
            FieldInfo info = type.GetField(field, BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)
                ?? throw new InvalidOperationException($"{type.Name} has no field {field}");
            long offset = Marshal.OffsetOf(type, field).ToInt64();
            long size = Marshal.SizeOf(info.FieldType);
            if (c["offsetof " + name] != offset) mismatches.Add($"offsetof {name}: C {c["offsetof " + name]}, C# {offset}");
            if (c["sizeof " + name] != size) mismatches.Add($"sizeof {name}: C {c["sizeof " + name]}, C# {size}");
        }
        foreach ((string name, long value) in Constants)
        {
            if (c[name] != value) mismatches.Add($"{name}: C {c[name]}, C# {value}");
        }
        foreach ((_, Type type) in Structs)
        {
            foreach (FieldInfo field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
            {
                if (!Fields.Any(f => f.Type == type && f.Field == field.Name)) mismatches.Add($"{type.Name}.{field.Name} has no C counterpart in this test");
            }
        }
        Assert.True(mismatches.Count == 0, string.Join(Environment.NewLine, mismatches));
    }

    private static Dictionary<string, long> CompileAndRun(string clang)
    {
        string directory = Directory.CreateTempSubdirectory("fmebpf-layout-").FullName;
        try
        {
            var program = new System.Text.StringBuilder("""
                #include <stdio.h>
                #include <stddef.h>
                #include <bpf/libbpf.h>
                #include <bpf/bpf.h>
                #include "flowmesh_maps.h"
                #include "process_maps.h"
                int main(void) {

                """);
            foreach ((string name, _) in Structs)
                program.AppendLine($"  printf(\"sizeof {name} %zu\\n\", sizeof(struct {name}));");
            foreach ((string name, _, _) in Fields)
            {
                string[] parts = name.Split('.');
                program.AppendLine($"  printf(\"offsetof {name} %zu\\n\", offsetof(struct {parts[0]}, {parts[1]}));");
                program.AppendLine($"  printf(\"sizeof {name} %zu\\n\", sizeof(((struct {parts[0]} *)0)->{parts[1]}));");
            }
            foreach ((string name, _) in Constants)
                program.AppendLine($"  printf(\"{name} %lld\\n\", (long long)({name}));");
            program.AppendLine("  return 0;\n}");
            string source = Path.Combine(directory, "layout.c");
            string binary = Path.Combine(directory, "layout");
            File.WriteAllText(source, program.ToString());
            string include = Path.Combine(EbpfPrerequisites.RepositoryRoot, "src", "ebpf");
            Command.Run(clang, "-std=c11", "-Wall", "-Werror", "-I", include, "-o", binary, source).EnsureSuccess("compiling the layout probe");

            var values = new Dictionary<string, long>();
            foreach (string line in Command.Check(binary).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                int space = line.LastIndexOf(' ');
                values[line[..space]] = long.Parse(line[(space + 1)..], CultureInfo.InvariantCulture);
            }
            return values;
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
