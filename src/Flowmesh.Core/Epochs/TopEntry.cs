namespace Flowmesh.Core.Epochs;

/// <summary>A top-talker answer: the key's true weight lies in [Lower, Upper] (Space-Saving bounds).</summary>
public readonly record struct TopEntry(TrafficKey Key, ulong Lower, ulong Upper)
{
    /// <summary>Midpoint of the bounds.</summary>
    public double Estimate => (Lower + (double)Upper) / 2;

    /// <summary>Half the width of the bounds: |true - Estimate| never exceeds it.</summary>
    public double ErrorBound => (Upper - (double)Lower) / 2;
}
