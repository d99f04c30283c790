namespace Flowmesh.Core.Tests;

/// <summary>
/// Tests that allocate tens of megabytes, or that measure the whole process heap
/// (GC.GetTotalMemory), run alone: in parallel, one's garbage is the other's "growth".
/// </summary>
[CollectionDefinition(nameof(RunsAloneCollection), DisableParallelization = true)]
public sealed class RunsAloneCollection;
