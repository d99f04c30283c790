namespace Flowmesh.Core.Epochs;

/// <summary>
/// Identity of an <see cref="EpochRecord"/>: who summarized (origin), and which interval [start, start + length)
/// of packet time, in microseconds since the Unix epoch. One origin writes at most one record per id.
/// </summary>
public readonly record struct EpochId(string Origin, long StartMicros, long LengthMicros)
{
    public const int MaxOriginBytes = 64;

    public long EndMicros => StartMicros + LengthMicros;

    /// <summary>True when both intervals share at least one microsecond (origins are not compared).</summary>
    public bool Overlaps(EpochId other) => StartMicros < other.EndMicros && other.StartMicros < EndMicros;

    /// <summary>Throws unless the origin is 1..64 bytes of UTF-8 and the length is positive.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Origin);
        int bytes = System.Text.Encoding.UTF8.GetByteCount(Origin);
        if (bytes is < 1 or > MaxOriginBytes)
            throw new ArgumentException($"An origin name is 1..{MaxOriginBytes} bytes of UTF-8, got {bytes}.");
        if (LengthMicros <= 0)
            throw new ArgumentException($"An epoch length must be positive, got {LengthMicros} µs.");
        if (StartMicros > long.MaxValue - LengthMicros)
            throw new ArgumentException("The epoch ends after the end of representable time.");
    }

    public override string ToString() => $"{Origin}@{StartMicros}+{LengthMicros}";
}
