namespace Flowmesh.Core.Sketches;

/// <summary>An item reported by <see cref="SpaceSavingSummary"/>: its true weight lies in [Lower, Upper].</summary>
public readonly record struct HeavyHitter(byte[] Key, ulong Lower, ulong Upper);
