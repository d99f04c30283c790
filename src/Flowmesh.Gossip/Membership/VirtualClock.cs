namespace Flowmesh.Gossip.Membership;

/// <summary>
/// Simulated time: timers fire in (due time, scheduling order), so a run depends only on its seed, never on the
/// machine's speed. Time jumps straight to the next event, so a minute of cluster life takes milliseconds.
/// </summary>
public sealed class VirtualClock : IGossipClock
{
    private readonly PriorityQueue<Timer, (TimeSpan Due, long Order)> _queue = new();
    private long _order;

    public TimeSpan Now { get; private set; }

    public long EventsRun { get; private set; }

    public IDisposable Schedule(TimeSpan delay, Action callback)
    {
        var timer = new Timer(callback);
        _queue.Enqueue(timer, (Now + (delay < TimeSpan.Zero ? TimeSpan.Zero : delay), _order++));
        return timer;
    }

    /// <summary>Runs every event due up to <paramref name="until"/> and leaves the clock there.</summary>
    public void RunUntil(TimeSpan until)
    {
        while (_queue.TryPeek(out var timer, out var key) && key.Due <= until)
        {
            _queue.Dequeue();
            if (timer.Cancelled) continue;
            Now = key.Due;
            EventsRun++;
            timer.Callback();
        }
        Now = until;
    }

    public void RunFor(TimeSpan duration) => RunUntil(Now + duration);

    /// <summary>Advances in steps until <paramref name="done"/> holds or <paramref name="timeout"/> passes; returns the time it took or null.</summary>
    public TimeSpan? RunUntil(Func<bool> done, TimeSpan timeout, TimeSpan step)
    {
        var start = Now;
        while (Now - start <= timeout)
        {
            if (done()) return Now - start;
            RunFor(step);
        }
        return done() ? Now - start : null;
    }

    private sealed class Timer(Action callback) : IDisposable
    {
        public Action Callback { get; } = callback;
        public bool Cancelled { get; private set; }
        public void Dispose() => Cancelled = true;
    }
}
