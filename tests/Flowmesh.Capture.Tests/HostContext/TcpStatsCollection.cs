namespace Flowmesh.Capture.Tests.HostContext;

/// <summary>The TCP-stats and drop hook tests share two namespace names and run one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TcpStatsCollection
{
    public const string Name = "tcp stats hooks";
}
