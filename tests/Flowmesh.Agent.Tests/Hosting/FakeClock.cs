namespace Flowmesh.Agent.Tests.Hosting;

/// <summary>
/// libfaketime for one agent process (installed by scripts/setup.sh --test): its wall clock is offset by what a file
/// says ("+1h", "-1h", "+8d"), re-read every second, so a test can also step it while the agent runs. The monotonic
/// clock is left alone, as a real step of the wall clock (settimeofday) leaves CLOCK_MONOTONIC alone. Packet
/// timestamps come from the kernel, which faketime does not touch.
/// </summary>
internal sealed class FakeClock
{
    private static readonly string[] Candidates =
        ["/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1", "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1", "/usr/lib/faketime/libfaketime.so.1"];

    private readonly string _file;

    public FakeClock(string directory, string offset)
    {
        _file = Path.Combine(directory, "faketime-offset");
        Set(offset);
    }

    /// <summary>The library, or null when faketime is not installed.</summary>
    public static string? Library => Candidates.FirstOrDefault(File.Exists);

    /// <summary>Skips the calling test when faketime is missing.</summary>
    public static void Require()
    {
        if (Library is null) Assert.Skip("libfaketime is not installed: run scripts/setup.sh --test");
    }

    /// <summary>Steps the clock: the agent sees the new offset within a second.</summary>
    public void Set(string offset) => File.WriteAllText(_file, offset + "\n");

    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string>
    {
        ["LD_PRELOAD"] = Library ?? throw new InvalidOperationException("faketime is not installed"),
        ["FAKETIME_TIMESTAMP_FILE"] = _file,
        ["FAKETIME_CACHE_DURATION"] = "1",
        ["FAKETIME_DONT_FAKE_MONOTONIC"] = "1",
    };
}
