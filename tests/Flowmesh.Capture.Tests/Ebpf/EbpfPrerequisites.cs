namespace Flowmesh.Capture.Tests.Ebpf;

/// <summary>Why an eBPF test cannot run here (Assert.Skip reason), or null.</summary>
internal static class EbpfPrerequisites
{
    public static string? Missing(params string[] tools)
    {
        if (!OperatingSystem.IsLinux()) return "eBPF capture tests need Linux";
        if (!Environment.IsPrivilegedProcess) return "eBPF capture tests need root (CAP_BPF, CAP_NET_ADMIN, network namespaces)";
        if (!File.Exists(ObjectPath)) return $"the eBPF flow program was not built ({ObjectPath} missing: clang not installed?)";
        foreach (string tool in tools)
        {
            if (!Command.IsOnPath(tool)) return $"{tool} is not installed (scripts/setup.sh --test installs it)";
        }
        return null;
    }

    public static void SkipUnlessAvailable(params string[] tools)
    {
        string? missing = Missing(tools);
        if (missing is not null) Assert.Skip(missing);
    }

    public static string ObjectPath => Path.Combine(AppContext.BaseDirectory, "flowmesh.bpf.o");

    public static string RepositoryRoot
    {
        get
        {
            for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, "Flowmesh.sln"))) return directory.FullName;
            }
            throw new InvalidOperationException("repository root (Flowmesh.sln) not found above " + AppContext.BaseDirectory);
        }
    }

    public static string? Clang =>
        new[] { "clang", "clang-20", "clang-19", "clang-18", "clang-17", "clang-16", "clang-15", "clang-14" }.FirstOrDefault(Command.IsOnPath);
}
