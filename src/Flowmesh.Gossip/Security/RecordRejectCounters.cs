namespace Flowmesh.Gossip.Security;

/// <summary>Counts of refused signed records, one per <see cref="RecordRejection"/>. Thread-safe.</summary>
public sealed class RecordRejectCounters
{
    private readonly long[] _counts = new long[Enum.GetValues<RecordRejection>().Length];

    public long this[RecordRejection reason] => Interlocked.Read(ref _counts[(int)reason]);

    public long Total
    {
        get
        {
            long sum = 0;
            for (var i = 0; i < _counts.Length; i++) sum += Interlocked.Read(ref _counts[i]);
            return sum;
        }
    }

    internal void Count(RecordRejection reason) => Interlocked.Increment(ref _counts[(int)reason]);

    public override string ToString() => string.Join(", ", Enum.GetValues<RecordRejection>().Select(r => $"{r} {this[r]}"));
}
