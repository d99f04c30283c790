namespace Flowmesh.Agent.Hosting;

/// <summary>Runs one agent from start to a clean stop.</summary>
internal static class AgentHost
{
    public static int Run(AgentOptions options)
    {
        Console.Error.WriteLine($"flowmesh: agent {options.Name} not wired yet");
        return 1;
    }
}
