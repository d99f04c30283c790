using Flowmesh.Capture.Files;
using Flowmesh.Capture.Live;

namespace Flowmesh.Capture.Tests;

/// <summary>
/// Behaviour that needs a process of its own: reading standard input, and running without root.
/// The parent test starts this test executable again, filtered to one probe, with the environment
/// variable FMCAP_PROBE set; run directly, the probes skip.
/// </summary>
public sealed class ChildProcessProbeTests
{
    private const string ProbeVariable = "FMCAP_PROBE";

    [Fact]
    public void Reads_a_capture_from_standard_input()
    {
        byte[] file = TestCaptureWriter.PcapNg().SectionHeader(false).InterfaceDescription(1, 0)
            .EnhancedPacket(0, 1, new byte[1000]).EnhancedPacket(0, 2, new byte[70_000]).EnhancedPacket(0, 3, [1]).ToArray();
        string path = Path.Combine(Path.GetTempPath(), $"fmcap-stdin-{Guid.NewGuid():N}.pcapng");
        File.WriteAllBytes(path, file);
        try
        {
            var (code, output) = RunProbe(nameof(StandardInputProbe), stdinFile: path);
            AssertProbePassed(code, output);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void StandardInputProbe()
    {
        if (Environment.GetEnvironmentVariable(ProbeVariable) != "stdin") Assert.Skip("probe: runs only as a child of Reads_a_capture_from_standard_input");
        using var reader = CaptureFileReader.Open("-");
        Assert.Equal("standard input", reader.Name);
        var (frames, stats) = ReadFrame.ReadAll(reader);
        Assert.Equal([1000, 70_000, 1], frames.Select(f => f.Data.Length));
        Assert.Null(stats.BytesTotal);
        Assert.Null(stats.StoppedEarly);
    }

    [Fact]
    public void Without_root_live_capture_says_to_use_sudo()
    {
        TestEnvironment.RootOrSkip();
        TestEnvironment.ToolOrSkip("setpriv");
        var (code, output) = RunProbe(nameof(UnprivilegedProbe), asNobody: true);
        AssertProbePassed(code, output);
    }

    [Fact]
    public void UnprivilegedProbe()
    {
        if (Environment.GetEnvironmentVariable(ProbeVariable) != "unprivileged") Assert.Skip("probe: runs only as a child of Without_root_live_capture_says_to_use_sudo");
        Assert.False(CapturePrivileges.CanCapture());
        var e = Assert.Throws<CaptureSetupException>(() => LibpcapCapture.Open(new LiveCaptureOptions { Interface = "lo" }));
        Assert.Equal("capturing on lo needs root or CAP_NET_RAW; run with sudo", e.Message);
    }

    // A filter that matches nothing also exits 0: require exactly one test, run and passed.
    private static void AssertProbePassed(int exitCode, string output)
    {
        Assert.True(exitCode == 0, output);
        Assert.Contains("Total: 1, Errors: 0, Failed: 0, Skipped: 0", output);
    }

    private static string Quote(string argument) => "'" + argument.Replace("'", "'\\''") + "'";

    private static (int ExitCode, string Output) RunProbe(string probe, string? stdinFile = null, bool asNobody = false)
    {
        using var unprivileged = asNobody ? Flowmesh.Tests.Shared.WorldReadableCopy.OfTestOutput() : null;
        string self = unprivileged?.Combine("Flowmesh.Capture.Tests") ?? Path.Combine(AppContext.BaseDirectory, "Flowmesh.Capture.Tests");
        string results = Directory.CreateTempSubdirectory("fmcap-probe-").FullName;
        try
        {
            // 0777: the unprivileged child's HOME.
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(results, (UnixFileMode)0x1FF);
            var command = new List<string>();
            if (asNobody) command.AddRange(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all"]);
            command.AddRange(["env", $"{ProbeVariable}={(asNobody ? "unprivileged" : "stdin")}", "HOME=" + results,
                self, "-method", typeof(ChildProcessProbeTests).FullName + "." + probe, "-failSkips", "-noColor"]);
            string shell = string.Join(' ', command.Select(Quote));
            // The runner also touches its working directory, which must be one nobody can enter.
            if (unprivileged is not null) shell = "cd " + Quote(unprivileged.Path) + " && " + shell;
            if (stdinFile is not null) shell += " < '" + stdinFile + "'";
            var (code, stdout, stderr) = TestEnvironment.Run("sh", "-c", shell);
            return (code, stdout + stderr);
        }
        finally
        {
            Directory.Delete(results, recursive: true);
        }
    }
}
