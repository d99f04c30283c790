using System.Globalization;
using System.Runtime.InteropServices;

namespace Flowmesh.Capture.Ebpf;

/// <summary>
/// Checks, before touching the kernel, whether eBPF capture can work here, and says why not in one line.
/// Kernel BTF (/sys/kernel/btf/vmlinux) is deliberately not required: the program reads only the stable
/// __sk_buff context and wire headers (no CO-RE), so it loads on kernels built without BTF too.
/// </summary>
public static class EbpfAvailability
{
    /// <summary>BPF atomic fetch-and-add/or (used for the shared flow map) arrived in Linux 5.12.</summary>
    public static readonly Version MinimumKernel = new(5, 12);

    private const int CapNetAdmin = 12;
    private const int CapSysAdmin = 21;
    private const int CapPerfmon = 38;
    private const int CapBpf = 39;

    /// <summary>Null when eBPF capture should work; otherwise the reason it cannot.</summary>
    public static string? Check(string objectPath)
    {
        if (!OperatingSystem.IsLinux())
            return $"eBPF capture needs Linux (this is {RuntimeInformation.OSDescription})";

        Version? kernel = KernelVersion();
        if (kernel is not null && kernel < MinimumKernel)
            return $"kernel {kernel} is too old for eBPF capture (needs {MinimumKernel}+)";

        ulong? capabilities = EffectiveCapabilities();
        // Without CAP_PERFMON (or CAP_SYS_ADMIN) the verifier refuses the program's pointer arithmetic ("prohibited for
        // !root"): checked here, so an agent run as its own user (deploy/flowmesh.service) hears which capability it lacks.
        if (capabilities is ulong caps && (!Has(caps, CapNetAdmin) || !(Has(caps, CapBpf) || Has(caps, CapSysAdmin)) || !(Has(caps, CapPerfmon) || Has(caps, CapSysAdmin))))
            return "eBPF capture needs root (or CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN)";

        if (!NativeLibrary.TryLoad(Libbpf.LibraryName, out nint handle))
            return $"{Libbpf.LibraryName} was not found (install libbpf 1.x, Debian/Ubuntu package libbpf1)";
        NativeLibrary.Free(handle);

        if (!File.Exists(objectPath))
            return $"the eBPF flow program {objectPath} is missing (was Flowmesh built without clang, -p:FlowmeshBuildEbpf=false?)";
        return null;
    }

    private static bool Has(ulong capabilities, int capability) => (capabilities & (1UL << capability)) != 0;

    private static Version? KernelVersion()
    {
        try
        {
            string release = File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
            string[] parts = release.Split('.', '-');
            if (parts.Length >= 2 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int major)
                && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int minor))
                return new Version(major, minor);
        }
        catch (IOException) { }
        return null;
    }

    private static ulong? EffectiveCapabilities()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("CapEff:", StringComparison.Ordinal))
                    return ulong.Parse(line.AsSpan(7).Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            }
        }
        catch (IOException) { }
        return null;
    }
}
