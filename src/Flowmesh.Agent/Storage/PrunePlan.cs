namespace Flowmesh.Agent.Storage;

/// <summary>What one prune deletes: per tier, records starting before <see cref="Cutoffs"/>; per origin over its byte share, also its records before its own cutoffs.</summary>
internal sealed record PrunePlan(long[] Cutoffs, Dictionary<string, long[]> OriginCutoffs);
