using Flowmesh.Capture.Ebpf;

namespace Flowmesh.Capture.Tests.Ebpf;

/// <summary>When eBPF cannot be used the caller gets one clear line (and the verifier's log) to fall back to libpcap with.</summary>
[Collection(EbpfNetworkCollection.Name)]
public sealed class EbpfAvailabilityTests
{
    [Fact]
    public void Without_privileges_the_reason_is_a_single_line_about_root()
    {
        EbpfPrerequisites.SkipUnlessAvailable("setpriv");
        using var unprivileged = Flowmesh.Tests.Shared.WorldReadableCopy.OfTestOutput();
        string runner = unprivileged.Combine("Flowmesh.Capture.EbpfRunner");
        // The runner as user nobody with no capabilities: exactly an unprivileged agent.
        Command.Result result = Command.Run(TimeSpan.FromSeconds(60), "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", runner);
        Assert.Equal(3, result.ExitCode);
        Assert.Equal("ebpf unavailable: eBPF capture needs root (or CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN)", result.Error.Trim());
    }

    [Fact]
    public void A_program_the_verifier_rejects_is_reported_with_the_verifier_log()
    {
        EbpfPrerequisites.SkipUnlessAvailable();
        string? clang = EbpfPrerequisites.Clang;
        if (clang is null) Assert.Skip("clang is not installed");
        string directory = Directory.CreateTempSubdirectory("fmebpf-verifier-").FullName;
        try
        {
            string source = Path.Combine(directory, "rejected.bpf.c");
            string objectPath = Path.Combine(directory, "rejected.bpf.o");
            // Dereferences a map lookup without the NULL check the verifier insists on.
            File.WriteAllText(source, """
                #include <linux/bpf.h>
                #include <bpf/bpf_helpers.h>
                struct m { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 16); __type(key, __u32); __type(value, __u64); } flowmesh_flows_a SEC(".maps"), flowmesh_flows_b SEC(".maps");
                struct { __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS); __uint(max_entries, 1); __type(key, __u32); __array(values, struct m); } flowmesh_active_flows SEC(".maps") = { .values = { [0] = &flowmesh_flows_a } };
                SEC("tc") int flowmesh_in(struct __sk_buff *skb) { __u32 k = 0; __u64 *v = bpf_map_lookup_elem(&flowmesh_flows_a, &k); return *v; }
                char LICENSE[] SEC("license") = "GPL";
                """);
            string arch = System.Runtime.InteropServices.RuntimeInformation.OSArchitecture == System.Runtime.InteropServices.Architecture.Arm64 ? "aarch64" : "x86_64";
            Command.Run(clang, "-O2", "-g", "-target", "bpf", $"-I/usr/include/{arch}-linux-gnu", "-c", source, "-o", objectPath).EnsureSuccess("compiling the rejected program");

            var failure = Assert.Throws<EbpfUnavailableException>(() => EbpfFlowCollector.Open(new EbpfCaptureOptions { ObjectPath = objectPath }));

            Assert.StartsWith("the kernel refused the eBPF flow program: ", failure.Reason);
            Assert.Contains("invalid mem access", failure.Reason); // the verifier's verdict, on the one line
            Assert.DoesNotContain('\n', failure.Reason);
            Assert.Contains("BEGIN PROG LOAD LOG", failure.Details);
            Assert.Contains(failure.Details!, failure.Message);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void A_file_that_is_not_a_bpf_object_is_refused_with_libbpfs_reason()
    {
        EbpfPrerequisites.SkipUnlessAvailable();
        string path = Path.Combine(Path.GetTempPath(), $"fmebpf-not-elf-{Environment.ProcessId}.o");
        File.WriteAllText(path, "this is not an ELF file");
        try
        {
            var failure = Assert.Throws<EbpfUnavailableException>(() => EbpfFlowCollector.Open(new EbpfCaptureOptions { ObjectPath = path }));
            Assert.StartsWith($"libbpf could not open {path}: ", failure.Reason);
            Assert.DoesNotContain('\n', failure.Reason);
            Assert.Contains("BPF object format invalid", failure.Reason); // libbpf's own error number, translated
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void An_interface_that_does_not_exist_is_a_capture_error_naming_it()
    {
        EbpfPrerequisites.SkipUnlessAvailable();
        var failure = Assert.Throws<CaptureSetupException>(() => EbpfFlowCollector.Open(new EbpfCaptureOptions { Interfaces = ["fmebpf-none"], ObjectPath = EbpfPrerequisites.ObjectPath }));
        Assert.Contains("'fmebpf-none'", failure.Message);
    }
}
