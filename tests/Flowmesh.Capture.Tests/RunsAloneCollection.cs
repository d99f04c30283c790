namespace Flowmesh.Capture.Tests;

/// <summary>
/// Tests that measure the whole process (working set, GC) and so must not run beside others: any concurrent test's
/// memory would show up in their numbers. One at a time, alone.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RunsAloneCollection
{
    public const string Name = "runs alone";
}
