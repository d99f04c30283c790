namespace Flowmesh.Core.Sketches;

/// <summary>Serialized sketch bytes that are truncated, oversized, corrupted, of another version or inconsistent.</summary>
public sealed class SketchFormatException : Exception
{
    public SketchFormatException(string message) : base(message) { }
}
