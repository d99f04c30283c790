using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text.RegularExpressions;
using Flowmesh.IntegrationTests.Infrastructure;

namespace Flowmesh.IntegrationTests.Architecture;

/// <summary>
/// The layers stay visible (issue 13): each built assembly references only the layers below it, and the namespaces
/// inside the Agent (one per folder) depend on each other without a cycle, so Cli may use Hosting but never the
/// reverse. The assembly check reads the compiled references; the namespace check reads the sources (`using` directives and
/// qualified names such as <c>Cli.ExitCodes</c>), since types of one assembly refer to each other without a metadata
/// reference. Program.cs, the entry point, may see everything.
/// </summary>
public sealed partial class LayeringTests
{
    private static readonly Dictionary<string, string[]> AllowedReferences = new(StringComparer.Ordinal)
    {
        ["Flowmesh.Core"] = [],
        ["Flowmesh.Capture"] = ["Flowmesh.Core"],
        ["Flowmesh.Gossip"] = ["Flowmesh.Core"],
        ["flowmesh"] = ["Flowmesh.Core", "Flowmesh.Capture", "Flowmesh.Gossip"],
    };

    [Fact]
    public void EachAssemblyReferencesOnlyTheLayersBelowIt()
    {
        foreach (var (assembly, allowed) in AllowedReferences)
        {
            string path = Path.Combine(AppContext.BaseDirectory, assembly + ".dll");
            Assert.True(File.Exists(path), $"{path} was not built next to the tests");
            using var stream = File.OpenRead(path);
            using var pe = new PEReader(stream);
            var metadata = pe.GetMetadataReader();
            var ours = metadata.AssemblyReferences.Select(h => metadata.GetString(metadata.GetAssemblyReference(h).Name))
                .Where(n => n.StartsWith("Flowmesh", StringComparison.OrdinalIgnoreCase) || n == "flowmesh").Order(StringComparer.Ordinal).ToList();
            Assert.True(ours.All(allowed.Contains), $"{assembly} references {string.Join(", ", ours)}; only {string.Join(", ", allowed)} are below it");
        }
    }

    [Fact]
    public void TheAgentsNamespacesHaveNoCycle()
    {
        string agent = Path.Combine(RepositoryLayout.Root, "src", "Flowmesh.Agent");
        var folders = Directory.GetDirectories(agent).Select(Path.GetFileName).OfType<string>()
            .Where(f => f is not ("bin" or "obj") && Directory.EnumerateFiles(Path.Combine(agent, f), "*.cs", SearchOption.AllDirectories).Any()).ToHashSet(StringComparer.Ordinal);
        Assert.Contains("Hosting", folders);
        Assert.Contains("Cli", folders);
        var edges = folders.ToDictionary(f => f, _ => new HashSet<string>(StringComparer.Ordinal), StringComparer.Ordinal);
        var evidence = new Dictionary<(string, string), string>();
        foreach (string folder in folders)
        {
            foreach (string file in Directory.EnumerateFiles(Path.Combine(agent, folder), "*.cs", SearchOption.AllDirectories))
            {
                string text = File.ReadAllText(file);
                foreach (Match m in UsingOrQualified().Matches(text))
                {
                    string target = m.Groups["using"].Success ? m.Groups["using"].Value : m.Groups["qualified"].Value;
                    if (target == folder || !folders.Contains(target)) continue;
                    // "Views." after "Core." names Flowmesh.Core.Views, not the Agent's folder.
                    if (m.Groups["qualified"].Success && m.Index >= 5 && text.AsSpan(m.Index - 5, 5).SequenceEqual("Core.")) continue;
                    if (edges[folder].Add(target)) evidence[(folder, target)] = $"{Path.GetRelativePath(RepositoryLayout.Root, file)}: {m.Value}";
                }
            }
        }
        var cycle = FindCycle(edges);
        Assert.True(cycle is null, cycle is null ? "" :
            $"namespace cycle {string.Join(" -> ", cycle)}; because:\n" + string.Join("\n", cycle.Zip(cycle.Skip(1)).Select(e => evidence[(e.First, e.Second)])));
    }

    [Fact]
    public void TheCycleFinderFindsACycle()
    {
        var edges = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal)
        {
            ["Cli"] = ["Hosting"], ["Hosting"] = ["Api"], ["Api"] = ["Cli"], ["Views"] = [],
        };
        Assert.Equal(4, FindCycle(edges)!.Count);
        edges["Api"].Clear();
        Assert.Null(FindCycle(edges));
    }

    /// <summary>A cycle as a path that starts and ends at the same node, or null.</summary>
    private static List<string>? FindCycle(Dictionary<string, HashSet<string>> edges)
    {
        var state = new Dictionary<string, int>(StringComparer.Ordinal); // 1 on the path, 2 done
        var path = new List<string>();
        List<string>? Visit(string node)
        {
            state[node] = 1;
            path.Add(node);
            foreach (string next in edges.GetValueOrDefault(node) ?? [])
            {
                if (state.GetValueOrDefault(next) == 1) return [.. path.Skip(path.IndexOf(next)), next];
                if (state.GetValueOrDefault(next) == 0 && Visit(next) is { } found) return found;
            }
            path.RemoveAt(path.Count - 1);
            state[node] = 2;
            return null;
        }
        foreach (string node in edges.Keys.Order(StringComparer.Ordinal))
            if (state.GetValueOrDefault(node) == 0 && Visit(node) is { } cycle) return cycle;
        return null;
    }

    [GeneratedRegex(@"using\s+(?:static\s+)?Flowmesh\.Agent\.(?<using>[A-Za-z]+)|(?<![\w.])(?:Flowmesh\.Agent\.)?(?<qualified>[A-Z][A-Za-z]+)\.[A-Z]\w*")]
    private static partial Regex UsingOrQualified();
}
