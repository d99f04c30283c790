using System.Reflection;

namespace Flowmesh.Agent.Cli;

/// <summary>
/// What `flowmesh --version` prints: the release number (Directory.Build.props), the commit the binary was built from
/// and when it was built (src/Flowmesh.Agent/BuildStamp.targets). Read from assembly attributes, which native AOT keeps.
/// </summary>
internal sealed record BuildInfo(string Version, string? Commit, string? BuildTime)
{
    public static BuildInfo Current { get; } = From(typeof(BuildInfo).Assembly);

    public static BuildInfo From(Assembly assembly)
    {
        string informational = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? assembly.GetName().Version?.ToString() ?? "0.0.0";
        string? buildTime = assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "FlowmeshBuildTime")?.Value;
        return Parse(informational, buildTime);
    }

    /// <summary>"0.1.0+3f2c…" is the version and the commit (Source Link); without a '+' the commit is unknown (built outside git).</summary>
    public static BuildInfo Parse(string informationalVersion, string? buildTime)
    {
        int plus = informationalVersion.IndexOf('+', StringComparison.Ordinal);
        string version = plus < 0 ? informationalVersion : informationalVersion[..plus];
        string? commit = plus < 0 || plus == informationalVersion.Length - 1 ? null : informationalVersion[(plus + 1)..];
        return new BuildInfo(version, commit, string.IsNullOrWhiteSpace(buildTime) ? null : buildTime);
    }

    /// <summary>Three lines: a script takes the first line's second word for the version.</summary>
    public string Format() =>
        $"flowmesh {Version}\ncommit {Commit ?? "unknown (built outside a git checkout)"}\nbuilt {BuildTime ?? "unknown (a development build; published binaries are stamped)"}\n";
}
