using System.CommandLine;
using Flowmesh.Capture.HostContext;

namespace Flowmesh.Agent.Cli;

/// <summary>The host-context flags `flowmesh agent` and `flowmesh flows` share (docs/host-context.md).</summary>
internal sealed class HostContextFlags
{
    private readonly Option<string[]> _sources = new("--host-context")
    {
        Description = $"What a live capture learns from the PC besides packets: any of {string.Join(",", HostContextOptions.Names)} (comma separated or repeated), all, or none.",
        DefaultValueFactory = _ => ["all"],
    };

    public void AddTo(Command command) => command.Options.Add(_sources);

    /// <summary>The sources asked for, or null with the problem in <paramref name="error"/>.</summary>
    public HostContextOptions? Parse(ParseResult parse, out string? error) => HostContextOptions.Parse(parse.GetValue(_sources) ?? [], out error);
}
