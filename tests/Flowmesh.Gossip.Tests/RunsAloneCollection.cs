namespace Flowmesh.Gossip.Tests;

/// <summary>
/// Tests that must not share the process with others running: real sockets, threads and child processes (timing
/// bounds) and process-wide GC measurements (any concurrent allocation shows up in them). One at a time, alone.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RunsAloneCollection
{
    public const string Name = "runs alone";
}
