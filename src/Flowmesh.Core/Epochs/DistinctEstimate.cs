namespace Flowmesh.Core.Epochs;

/// <summary>
/// A distinct count with its error bound (absolute, same unit): in HyperLogLog's sparse mode the count is exact
/// up to a hash collision (bound 1); in dense mode the bound is three standard errors, 3 x 1.04/sqrt(m) of the
/// estimate, which the truth exceeds in about 0.3 % of cases.
/// </summary>
public readonly record struct DistinctEstimate(double Estimate, double ErrorBound, bool Exact);
