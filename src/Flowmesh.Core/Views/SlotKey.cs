namespace Flowmesh.Core.Views;

/// <summary>A slot of <see cref="WindowSlots"/>: where it starts, how long it is, and the epoch its "left to peer" decisions are keyed by.</summary>
internal readonly record struct SlotKey(long StartMicros, long LengthMicros, long EpochMicros);
