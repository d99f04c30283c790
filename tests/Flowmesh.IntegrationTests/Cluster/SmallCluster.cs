namespace Flowmesh.IntegrationTests.Cluster;

/// <summary>
/// A few agents started for one test class (each of its facts gets a fresh cluster), or the reason they cannot run
/// here: <see cref="Agents"/> skips the calling test with that reason.
/// </summary>
internal sealed class SmallCluster : IDisposable
{
    private readonly AgentCluster? _cluster;
    private readonly string? _skip;

    public SmallCluster(int nodes, int? launched = null, IReadOnlyList<int>? firstNodes = null, IReadOnlyList<string>? agentArguments = null)
    {
        _skip = AgentCluster.MissingPrerequisite();
        if (_skip is null) _cluster = AgentCluster.Start(nodes, launched, firstNodes, agentArguments);
    }

    public AgentCluster Agents
    {
        get
        {
            if (_skip is not null) Assert.Skip(_skip);
            return _cluster!;
        }
    }

    public void Dispose() => _cluster?.Dispose();
}
