namespace Flowmesh.Gossip.Records;

/// <summary>Counts of dropped sync messages, one per <see cref="SyncDropReason"/>. Thread-safe.</summary>
public sealed class SyncDropCounters
{
    private readonly long[] _counts = new long[Enum.GetValues<SyncDropReason>().Length];

    public long this[SyncDropReason reason] => Interlocked.Read(ref _counts[(int)reason]);

    public long Total
    {
        get
        {
            long sum = 0;
            for (var i = 0; i < _counts.Length; i++) sum += Interlocked.Read(ref _counts[i]);
            return sum;
        }
    }

    internal void Count(SyncDropReason reason) => Interlocked.Increment(ref _counts[(int)reason]);

    public override string ToString() => string.Join(", ", Enum.GetValues<SyncDropReason>().Select(r => $"{r} {this[r]}"));
}
