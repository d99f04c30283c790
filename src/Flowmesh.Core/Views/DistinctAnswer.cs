using Flowmesh.Core.Epochs;

namespace Flowmesh.Core.Views;

/// <summary>
/// A distinct count over the window (the union over origins and epochs, never a sum). Exact ± 1 while the merged
/// HyperLogLog is sparse (under 768 items at p = 12), else ± 3 standard errors (4.9 %).
/// </summary>
public sealed record DistinctAnswer(DistinctKind Kind, Measured Count, ViewCoverage Coverage);
