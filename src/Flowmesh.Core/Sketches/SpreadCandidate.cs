namespace Flowmesh.Core.Sketches;

/// <summary>A key reported by <see cref="SpreadSketch"/> with its estimated number of distinct elements.</summary>
public readonly record struct SpreadCandidate(byte[] Key, double Estimate);
