namespace Flowmesh.Capture.Tests.Ebpf;

/// <summary>
/// The eBPF tests run one at a time: every collector start removes flowmesh tc filters on all interfaces
/// (the cleanup of a killed agent), which would tear down another test's attachments.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class EbpfNetworkCollection
{
    public const string Name = "eBPF network namespaces";
}
