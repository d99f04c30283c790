namespace Flowmesh.Agent.Cli;

internal static class ExitCodes
{
    public const int Success = 0;
    /// <summary>The input could not be opened or read at all (missing file, not a capture, capture permission).</summary>
    public const int InputError = 1;
    /// <summary>The command line was wrong.</summary>
    public const int UsageError = 2;
}
