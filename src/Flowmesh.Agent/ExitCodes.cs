namespace Flowmesh.Agent;

internal static class ExitCodes
{
    public const int Success = 0;
    /// <summary>The input could not be opened or read at all (missing file, not a capture, capture permission).</summary>
    public const int InputError = 1;
    /// <summary>The command line was wrong.</summary>
    public const int UsageError = 2;
    /// <summary>No agent answered at the API address (members and other commands that ask a running agent).</summary>
    public const int AgentUnavailable = 3;
    /// <summary>The agent could not start or failed while running (key file, data directory, ports, capture).</summary>
    public const int AgentFailed = 4;
}
