using Flowmesh.IntegrationTests.Infrastructure;

namespace Flowmesh.IntegrationTests.Cli;

/// <summary>
/// The real `flowmesh` CLI, run as a child process with `dotnet flowmesh.dll` like a user would.
/// FLOWMESH_CLI_DLL points the tests at another build of the CLI (e.g. a release build) instead.
/// </summary>
public static class FlowmeshCli
{
    public static ProcessResult Run(IEnumerable<string> arguments, TimeSpan timeout)
    {
        string dll = Environment.GetEnvironmentVariable("FLOWMESH_CLI_DLL") is { Length: > 0 } other ? other : RepositoryLayout.FlowmeshDll;
        if (!File.Exists(dll)) throw new FileNotFoundException("flowmesh.dll is not in the test output directory", dll);
        return ChildProcess.Run("dotnet", [dll, .. arguments], timeout);
    }

    public static ProcessResult Flows(string pcapPath, TimeSpan timeout) =>
        Run(["flows", "--pcap", pcapPath, "--format", "json"], timeout);
}
