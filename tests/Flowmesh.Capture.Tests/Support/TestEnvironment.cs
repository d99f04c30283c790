using System.Diagnostics;

namespace Flowmesh.Capture.Tests;

internal static class TestEnvironment
{
    /// <summary>The repository root: the first directory upwards that holds Directory.Packages.props.</summary>
    public static string RepositoryRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Directory.Packages.props"))) return dir.FullName;
            }
            throw new InvalidOperationException("repository root not found above " + AppContext.BaseDirectory);
        }
    }

    /// <summary>../shared/pcaps beside the repository, or skip the test.</summary>
    public static string SharedPcapsOrSkip()
    {
        string path = Path.GetFullPath(Path.Combine(RepositoryRoot, "..", "shared", "pcaps"));
        if (!Directory.Exists(path)) Assert.Skip($"{path} is absent: public captures not available");
        return path;
    }

    public static string ToolOrSkip(string name)
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':'))
        {
            string candidate = Path.Combine(dir, name);
            if (File.Exists(candidate)) return candidate;
        }
        Assert.Skip($"{name} is not installed (scripts/setup.sh installs it)");
        return name;
    }

    public static void RootOrSkip()
    {
        if (!Environment.IsPrivilegedProcess) Assert.Skip("needs root (network namespaces, live capture)");
    }

    /// <summary>Starts a process with its output discarded; the caller waits for it.</summary>
    public static Process Start(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args) start.ArgumentList.Add(a);
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    public static (int ExitCode, string Stdout, string Stderr) Run(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout, stderr.Result);
    }
}
