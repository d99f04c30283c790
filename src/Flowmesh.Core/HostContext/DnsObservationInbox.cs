using System.Collections.Concurrent;

namespace Flowmesh.Core.HostContext;

/// <summary>
/// Hands DNS observations from the DNS source's thread to the capture thread that summarizes epochs. Bounded: at most
/// <see cref="Capacity"/> wait at a time (the summarizer takes them all at every seal); past it an observation is
/// dropped and counted in <see cref="Dropped"/>, so a query flood cannot grow the agent's memory.
/// </summary>
public sealed class DnsObservationInbox : IDnsObservationListener
{
    public const int DefaultCapacity = 65_536;

    private readonly ConcurrentQueue<DnsObservation> _queue = new();
    private int _waiting;
    private long _dropped;
    private long _received;

    public DnsObservationInbox(int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
    }

    public int Capacity { get; }

    /// <summary>Observations refused because <see cref="Capacity"/> were already waiting.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Observations accepted.</summary>
    public long Received => Interlocked.Read(ref _received);

    public int Waiting => Volatile.Read(ref _waiting);

    public void Observe(DnsObservation observation)
    {
        ArgumentNullException.ThrowIfNull(observation);
        if (Interlocked.Increment(ref _waiting) > Capacity)
        {
            Interlocked.Decrement(ref _waiting);
            Interlocked.Increment(ref _dropped);
            return;
        }
        Interlocked.Increment(ref _received);
        _queue.Enqueue(observation);
    }

    /// <summary>Takes every waiting observation, oldest first.</summary>
    public void DrainTo(Action<DnsObservation> take)
    {
        ArgumentNullException.ThrowIfNull(take);
        while (_queue.TryDequeue(out var observation))
        {
            Interlocked.Decrement(ref _waiting);
            take(observation);
        }
    }
}
