using System.Runtime.CompilerServices;

namespace Flowmesh.Gossip;

/// <summary>
/// One thread-safe counter per value of a reason enum (why a packet, message or record was refused). Updated with
/// Interlocked, so several receive loops may share one instance and a reader sees consistent per-counter values.
/// The enum's values must be 0..n-1.
/// </summary>
public abstract class ReasonCounters<TReason> where TReason : struct, Enum
{
    private static readonly TReason[] Reasons = Enum.GetValues<TReason>();
    private readonly long[] _counts = new long[Reasons.Length];

    public long this[TReason reason] => Interlocked.Read(ref _counts[Index(reason)]);

    public long Total
    {
        get
        {
            long sum = 0;
            for (var i = 0; i < _counts.Length; i++) sum += Interlocked.Read(ref _counts[i]);
            return sum;
        }
    }

    internal void Count(TReason reason) => Interlocked.Increment(ref _counts[Index(reason)]);

    public override string ToString() => string.Join(", ", Reasons.Select(r => $"{r} {this[r]}"));

    // Every reason enum here is int-backed; reinterpreting avoids boxing on each count.
    private static int Index(TReason reason) => Unsafe.As<TReason, int>(ref reason);
}
