using Flowmesh.IntegrationTests.Infrastructure;

namespace Flowmesh.IntegrationTests.Cli;

/// <summary>The real `flowmesh` CLI, run as a child process with `dotnet flowmesh.dll` like a user would.</summary>
public static class FlowmeshCli
{
    public static ProcessResult Run(IEnumerable<string> arguments, TimeSpan timeout)
    {
        string dll = RepositoryLayout.FlowmeshDll;
        if (!File.Exists(dll)) throw new FileNotFoundException("flowmesh.dll is not in the test output directory", dll);
        return ChildProcess.Run("dotnet", [dll, .. arguments], timeout);
    }

    public static ProcessResult Flows(string pcapPath, TimeSpan timeout) =>
        Run(["flows", "--pcap", pcapPath, "--format", "json"], timeout);
}
