using Flowmesh.IntegrationTests.Comparison;
using Flowmesh.IntegrationTests.Infrastructure;

namespace Flowmesh.IntegrationTests;

/// <summary>
/// Every public capture in &lt;repo&gt;/../shared/pcaps through flowmesh and tshark: per directed
/// 5-tuple, packets and bytes must be exactly equal. Files whose difference is a documented,
/// deliberate one are listed in <see cref="Exclusions"/> with the reason; an excluded file that
/// starts to match fails too, so the list cannot outlive its reasons.
/// </summary>
public sealed class SharedPcapCorpusTests
{
    private const string NoCorpus = "(no shared pcaps)";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(180);

    /// <summary>Relative path under shared/pcaps -> why flowmesh and tshark legitimately differ on it.</summary>
    public static readonly IReadOnlyDictionary<string, string> Exclusions = new Dictionary<string, string>
    {
    };

    /// <summary>Files whose packets and bytes are compared but not their flow times, with the reason.</summary>
    public static readonly IReadOnlyDictionary<string, string> TimeExclusions = new Dictionary<string, string>
    {
        // A fuzzed record header: ts_usec = 4293562680, far beyond a second. tshark overflows it into a
        // negative time (-1953631157.140462); flowmesh, like libpcap, adds it as microseconds.
        ["nfstream/fuzz-2021-06-07-c6c72a0a56.pcap"] = "fuzzed microseconds field (4293562680) that tshark overflows",
    };

    public static TheoryData<string> Captures()
    {
        var data = new TheoryData<string>();
        string root = RepositoryLayout.SharedPcapsDirectory;
        if (!Directory.Exists(root))
        {
            data.Add(NoCorpus);
            return data;
        }
        foreach (string file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
                     .Where(f => !f.EndsWith(".md", StringComparison.OrdinalIgnoreCase))
                     .Select(f => Path.GetRelativePath(root, f).Replace('\\', '/'))
                     .Order(StringComparer.Ordinal))
        {
            data.Add(file);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Captures))]
    public void Flows_match_tshark_exactly(string capture)
    {
        if (capture == NoCorpus) Assert.Skip($"{RepositoryLayout.SharedPcapsDirectory} is absent");
        string tshark = ExternalTool.RequireOrSkip("tshark");
        string path = Path.Combine(RepositoryLayout.SharedPcapsDirectory, capture);

        var comparison = TsharkComparison.Run(tshark, path, Timeout);

        if (Exclusions.TryGetValue(capture, out string? reason))
        {
            Assert.True(comparison.Flowmesh.ExitCode == 0, $"flowmesh exited {comparison.Flowmesh.ExitCode}: {comparison.Flowmesh.StandardError}");
            Assert.False(comparison.Difference.IsEmpty, $"{capture} now matches tshark exactly: remove it from the exclusion list ({reason})");
            Assert.Skip($"excluded: {reason}\n{comparison.Difference.Describe("tshark", "flowmesh", maxLines: 5)}");
        }
        comparison.AssertExactMatch(compareTimes: !TimeExclusions.ContainsKey(capture));
    }

    [Fact]
    public void Exclusions_name_existing_files()
    {
        string root = RepositoryLayout.SharedPcapsDirectory;
        if (!Directory.Exists(root)) Assert.Skip($"{root} is absent");
        Assert.All(Exclusions.Keys.Concat(TimeExclusions.Keys), file => Assert.True(File.Exists(Path.Combine(root, file)), $"excluded file {file} does not exist"));
    }
}
