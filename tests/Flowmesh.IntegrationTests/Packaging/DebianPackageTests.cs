using System.Xml.Linq;
using Flowmesh.IntegrationTests.Infrastructure;

namespace Flowmesh.IntegrationTests.Packaging;

/// <summary>
/// scripts/package-deb.sh builds a package that dpkg installs, that runs as the 'flowmesh' user, and that dpkg -P
/// removes without a trace. The package is built from the framework-dependent build the suite already has
/// (src/Flowmesh.Agent/bin/Release), not a native one: a native AOT build takes minutes on a test machine, and the
/// layout, maintainer scripts and units under test are the same for both (docs/packaging.md).
/// Installs on the test machine itself (CI runs as root on a fresh machine), so it refuses to run where a flowmesh
/// package or user already exists, and it purges in a finally.
/// </summary>
[Collection(nameof(DebianPackageTests))] // one dpkg at a time
public sealed class DebianPackageTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    [Fact]
    public void InstallsRunsAsItsOwnUserAndPurgesCleanly()
    {
        if (!Environment.IsPrivilegedProcess) Assert.Skip("needs root: dpkg -i installs on this machine");
        if (!File.Exists("/usr/bin/dpkg-deb")) Assert.Skip("dpkg-deb is not installed (not a Debian system)");
        if (Run("dpkg-query", "-W", "-f=${Status}", "flowmesh").StandardOutput.Contains("installed", StringComparison.Ordinal))
            Assert.Skip("a flowmesh package is installed on this machine; the test would replace and purge it");
        if (Run("getent", "passwd", "flowmesh").ExitCode == 0) Assert.Skip("a 'flowmesh' user exists here already; the test would delete it");

        string build = Path.Combine(RepositoryLayout.Root, "src", "Flowmesh.Agent", "bin", "Release", "net10.0");
        Assert.True(File.Exists(Path.Combine(build, "flowmesh")), $"no build in {build}: build Flowmesh.sln -c Release first");
        string output = Directory.CreateTempSubdirectory("fmh-deb-").FullName;
        try
        {
            var package = Run(Path.Combine(RepositoryLayout.Root, "scripts", "package-deb.sh"), "--from", build, "--out", output);
            Assert.True(package.ExitCode == 0, package.StandardError);
            string deb = package.StandardOutput.Trim();
            string version = XDocument.Load(Path.Combine(RepositoryLayout.Root, "Directory.Build.props")).Descendants("Version").Single().Value;
            Assert.EndsWith($"flowmesh_{version}_{Run("dpkg", "--print-architecture").StandardOutput.Trim()}.deb", deb);

            var install = Run("dpkg", "-i", deb);
            try
            {
                Assert.True(install.ExitCode == 0, install.StandardOutput + install.StandardError);
                CheckInstalled(version);
            }
            finally
            {
                var purge = Run("dpkg", "-P", "flowmesh");
                Assert.True(purge.ExitCode == 0, purge.StandardOutput + purge.StandardError);
            }
            CheckPurged();
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    private static void CheckInstalled(string version)
    {
        // Files: the binary behind /usr/bin, what it loads from beside itself, the units, the configuration, the docs.
        Assert.Equal("../lib/flowmesh/flowmesh", new FileInfo("/usr/bin/flowmesh").LinkTarget);
        foreach (string file in new[] { "/usr/lib/flowmesh/flowmesh", "/usr/lib/flowmesh/flowmesh.bpf.o", "/usr/lib/systemd/system/flowmesh.service",
            "/usr/lib/systemd/system/flowmesh-sleep.service", "/etc/flowmesh/agent.json", "/usr/share/doc/flowmesh/packaging.md" })
            Assert.True(File.Exists(file), $"{file} is not installed");
        Assert.Equal("/etc/flowmesh/agent.json", Run("dpkg-query", "-W", "-f=${Conffiles}", "flowmesh").StandardOutput.Trim().Split(' ')[0]);
        Assert.DoesNotContain(Run("dpkg", "-L", "flowmesh").StandardOutput.Split('\n'), p => p.EndsWith(".pdb", StringComparison.Ordinal) || p.Contains("/runtimes/win", StringComparison.Ordinal));

        // The user: a system account that cannot log in, and /etc/flowmesh readable by its group only.
        string[] user = Run("getent", "passwd", "flowmesh").StandardOutput.Trim().Split(':');
        Assert.True(int.Parse(user[2]) < 1000, $"uid {user[2]} is not a system uid");
        Assert.Equal("/usr/sbin/nologin", user[6]);
        Assert.Equal("root:flowmesh 750", Run("stat", "-c", "%U:%G %a", "/etc/flowmesh").StandardOutput.Trim());

        // The unit: runs the installed binary as that user with the capture capabilities only.
        string unit = File.ReadAllText("/usr/lib/systemd/system/flowmesh.service");
        Assert.Contains("ExecStart=/usr/bin/flowmesh agent", unit);
        Assert.Contains("\nUser=flowmesh\n", unit);
        Assert.Contains("\nAmbientCapabilities=CAP_BPF CAP_PERFMON CAP_NET_ADMIN CAP_NET_RAW\n", unit);
        Assert.Contains("\nCapabilityBoundingSet=CAP_BPF CAP_PERFMON CAP_NET_ADMIN CAP_NET_RAW\n", unit);
        if (File.Exists("/usr/bin/systemd-analyze"))
        {
            var verify = Run("systemd-analyze", "verify", "/usr/lib/systemd/system/flowmesh.service", "/usr/lib/systemd/system/flowmesh-sleep.service");
            var complaints = (verify.StandardOutput + verify.StandardError).Split('\n').Where(l => l.Contains("flowmesh", StringComparison.Ordinal)).ToList();
            Assert.True(verify.ExitCode == 0 && complaints.Count == 0, verify.StandardOutput + verify.StandardError);
        }
        else TestContext.Current.SendDiagnosticMessage("systemd-analyze is not installed (package systemd): the installed unit was not verified");

        // The installed command runs, also as the flowmesh user, and reads the shipped configuration file.
        var run = Run("/usr/bin/flowmesh", "--version");
        Assert.True(run.ExitCode == 0, run.StandardError);
        Assert.StartsWith($"flowmesh {version}\n", run.StandardOutput);
        var asUser = Run("setpriv", "--reuid=flowmesh", "--regid=flowmesh", "--init-groups", "/usr/bin/flowmesh", "agent", "--print-config", "--name", "pc-7");
        Assert.True(asUser.ExitCode == 0, asUser.StandardError);
        Assert.StartsWith("# configuration file: /etc/flowmesh/agent.json\n", asUser.StandardOutput);
    }

    private static void CheckPurged()
    {
        foreach (string path in new[] { "/usr/bin/flowmesh", "/usr/lib/flowmesh", "/etc/flowmesh", "/var/lib/flowmesh", "/usr/lib/systemd/system/flowmesh.service", "/usr/share/doc/flowmesh" })
            Assert.False(File.Exists(path) || Directory.Exists(path) || new FileInfo(path).LinkTarget is not null, $"{path} is left after dpkg -P");
        Assert.NotEqual(0, Run("getent", "passwd", "flowmesh").ExitCode);
        Assert.NotEqual(0, Run("getent", "group", "flowmesh").ExitCode);
        Assert.DoesNotContain("installed", Run("dpkg-query", "-W", "-f=${Status}", "flowmesh").StandardOutput, StringComparison.Ordinal);
    }

    private static ProcessResult Run(string program, params string[] arguments) => ChildProcess.Run(program, arguments, Timeout);
}
