using System.CommandLine;
using System.CommandLine.Invocation;

namespace Flowmesh.Agent.Cli;

/// <summary>`flowmesh --version`: version, commit and build time (<see cref="BuildInfo"/>) instead of the bare version.</summary>
internal sealed class VersionAction(TextWriter output) : SynchronousCommandLineAction
{
    public override int Invoke(ParseResult parseResult)
    {
        output.Write(BuildInfo.Current.Format());
        return ExitCodes.Success;
    }
}
