namespace Flowmesh.IntegrationTests.Cluster;

/// <summary>
/// Every class that builds the fmc LAN belongs here, so they run one after another: they share the namespace
/// names, and each removes leftovers of the others when it starts.
/// </summary>
[CollectionDefinition(Name)]
public sealed class ClusterCollection
{
    public const string Name = "fmc cluster LAN";
}
