namespace Flowmesh.Core.Tests.Flows;

/// <summary>
/// The interim-export and epoch tests allocate tens of megabytes; run alone, they cannot disturb tests that
/// measure the whole heap (FlowTableResourceTests.SpoofedSynFloodStaysWithinTheCap uses GC.GetTotalMemory).
/// </summary>
[CollectionDefinition(nameof(InterimExportCollection), DisableParallelization = true)]
public sealed class InterimExportCollection;
