namespace Flowmesh.Core.Sketches;

/// <summary>The sketch type byte of the common serialized header (docs/sketches.md).</summary>
public enum SketchKind : byte
{
    CountMin = 1,
    HyperLogLog = 2,
    SpaceSaving = 3,
    Bloom = 4,
    Spread = 5,
}
