namespace Flowmesh.Core.Packets;

/// <summary>Counts of frames that yielded no flow observation, by <see cref="DecodeFailure"/>.</summary>
public sealed class DecodeCounters
{
    private readonly long[] _counts = new long[Enum.GetValues<DecodeFailure>().Length];

    public void Add(DecodeFailure reason) => _counts[(int)reason]++;

    public long this[DecodeFailure reason] => _counts[(int)reason];

    /// <summary>Sum over all reasons except <see cref="DecodeFailure.None"/>.</summary>
    public long Total
    {
        get
        {
            long sum = 0;
            for (int i = 1; i < _counts.Length; i++) sum += _counts[i];
            return sum;
        }
    }

    /// <summary>Non-zero reasons, for reports.</summary>
    public IEnumerable<KeyValuePair<DecodeFailure, long>> NonZero()
    {
        for (int i = 1; i < _counts.Length; i++)
            if (_counts[i] != 0) yield return new((DecodeFailure)i, _counts[i]);
    }
}
