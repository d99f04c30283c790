namespace Flowmesh.Capture.Files;

/// <summary>
/// Converts a capture file's timestamp units to microseconds by integer arithmetic only, truncating
/// like Wireshark does (it keeps nanoseconds; truncating those to microseconds gives the same value).
/// </summary>
internal readonly struct TimestampScale
{
    private readonly ulong _multiplier;  // units per microsecond < 1: micros = units * _multiplier
    private readonly ulong _divisor;     // units per microsecond >= 1: micros = units / _divisor
    private readonly int _binaryShift;   // power-of-two resolution: micros = units * 1e6 >> shift
    private readonly bool _binary;

    private TimestampScale(ulong multiplier, ulong divisor, int binaryShift, bool binary)
    {
        _multiplier = multiplier;
        _divisor = divisor;
        _binaryShift = binaryShift;
        _binary = binary;
    }

    public static TimestampScale Microseconds => new(1, 0, 0, false);
    public static TimestampScale Nanoseconds => new(0, 1000, 0, false);

    /// <summary>
    /// Decodes pcapng's if_tsresol byte: high bit clear means 10^-v seconds, set means 2^-v.
    /// False for resolutions that cannot be represented (10^-20 and finer, 2^-64 and finer).
    /// </summary>
    public static bool TryFromPcapNgResolution(byte tsresol, out TimestampScale scale)
    {
        int exponent = tsresol & 0x7F;
        if ((tsresol & 0x80) != 0)
        {
            scale = new TimestampScale(0, 0, exponent, true);
            return exponent < 64;
        }
        if (exponent > 19)
        {
            scale = default;
            return false;
        }
        scale = exponent <= 6
            ? new TimestampScale(Pow10(6 - exponent), 0, 0, false)
            : new TimestampScale(0, Pow10(exponent - 6), 0, false);
        return true;
    }

    /// <summary>Like <see cref="ToMicros"/>, false when the result does not fit a long (a damaged or hostile file).</summary>
    public bool TryToMicros(ulong units, out long micros)
    {
        UInt128 wide = _binary ? ((UInt128)units * 1_000_000) >> _binaryShift
            : _divisor != 0 ? units / _divisor
            : (UInt128)units * _multiplier;
        micros = wide <= long.MaxValue ? (long)wide : 0;
        return wide <= long.MaxValue;
    }

    public long ToMicros(ulong units)
    {
        if (_binary) return (long)(((UInt128)units * 1_000_000) >> _binaryShift);
        if (_divisor != 0) return (long)(units / _divisor);
        return (long)(units * _multiplier);
    }

    private static ulong Pow10(int exponent)
    {
        ulong value = 1;
        for (int i = 0; i < exponent; i++) value *= 10;
        return value;
    }
}
