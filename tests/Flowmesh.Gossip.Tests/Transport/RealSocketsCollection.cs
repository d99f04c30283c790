namespace Flowmesh.Gossip.Tests.Transport;

/// <summary>
/// Tests with real sockets, threads and child processes run alone, one class after another: their timing bounds
/// should not compete with CPU-heavy simulations, and they would disturb the process-wide GC measurements of others.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RealSocketsCollection
{
    public const string Name = "real sockets";
}
