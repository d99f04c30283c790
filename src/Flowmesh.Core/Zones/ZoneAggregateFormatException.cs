namespace Flowmesh.Core.Zones;

/// <summary>Encoded zone-aggregate bytes that are truncated, oversized, corrupted, of another version or key, or inconsistent.</summary>
public sealed class ZoneAggregateFormatException : Exception
{
    public ZoneAggregateFormatException(string message) : base(message) { }
    public ZoneAggregateFormatException(string message, Exception inner) : base(message, inner) { }
}
