using System.Diagnostics;
using Flowmesh.Gossip.Membership;

namespace Flowmesh.Gossip.Transport;

/// <summary>
/// The one thread a real <see cref="MembershipNode"/> runs on: posted actions (received packets, replies, API calls)
/// and due timers execute here one at a time, in order, so the node needs no locks. <see cref="Now"/> is monotonic
/// (Stopwatch), so wall-clock jumps (NTP, resume from sleep) never fire or starve timers. A callback that throws is
/// counted and logged to <see cref="CallbackFailed"/>; the loop keeps running, because one bad packet or bug in a
/// handler must not silence the node (the others would declare it dead).
/// </summary>
public sealed class GossipEventLoop : IGossipClock, IDisposable
{
    private readonly Stopwatch _stopwatch = Stopwatch.StartNew();
    private readonly object _lock = new();
    private readonly Queue<Action> _posted = new();
    private readonly PriorityQueue<Timer, (TimeSpan Due, long Order)> _timers = new();
    private readonly HashSet<Action> _cancelOnDispose = [];
    private readonly Thread _thread;
    private long _timerOrder;
    private readonly int _maxQueued;
    private long _callbackFailures, _queueDrops;
    private bool _disposed;

    /// <param name="maxQueued">Posted actions waiting at most; beyond it <see cref="Post"/> drops (and counts) the
    /// action and <see cref="InvokeAsync"/> returns a cancelled task, so a flood of received packets costs bounded
    /// memory and delays timers (probes, suspicion) by at most this many callbacks.</param>
    public GossipEventLoop(string name = "gossip-loop", int maxQueued = DefaultMaxQueued)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxQueued, 1);
        _maxQueued = maxQueued;
        _thread = new Thread(Run) { IsBackground = true, Name = name };
        _thread.Start();
    }

    /// <summary>Default bound of the posted queue: 10 000 actions, about 100 s of a peer's whole datagram budget.</summary>
    public const int DefaultMaxQueued = 10_000;

    public TimeSpan Now => _stopwatch.Elapsed;

    /// <summary>Actions refused because the queue held <c>maxQueued</c> already (received packets dropped, calls cancelled).</summary>
    public long QueueDrops => Interlocked.Read(ref _queueDrops);

    /// <summary>Actions waiting now.</summary>
    public int Queued
    {
        get { lock (_lock) return _posted.Count; }
    }

    /// <summary>Callbacks that threw. Each is also reported to <see cref="CallbackFailed"/>.</summary>
    public long CallbackFailures => Interlocked.Read(ref _callbackFailures);

    /// <summary>Raised on the loop thread with the exception of a failed callback (for logging). Must not throw.</summary>
    public event Action<Exception>? CallbackFailed;

    /// <summary>True when the caller is already on the loop thread.</summary>
    public bool IsOnLoop => Thread.CurrentThread == _thread;

    /// <summary>Runs <paramref name="action"/> on the loop as soon as possible, after everything posted before it. Ignored
    /// after dispose; dropped and counted in <see cref="QueueDrops"/> while the queue is full (returns false).</summary>
    public bool Post(Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        lock (_lock)
        {
            if (_disposed) return false;
            if (_posted.Count >= _maxQueued)
            {
                Interlocked.Increment(ref _queueDrops);
                return false;
            }
            _posted.Enqueue(action);
            Monitor.Pulse(_lock);
        }
        return true;
    }

    /// <summary>
    /// Runs <paramref name="func"/> on the loop and returns its result (the way other threads read node state).
    /// The task is cancelled if the loop is disposed before it ran, so no caller waits forever on a stopped peer.
    /// </summary>
    public Task<T> InvokeAsync<T>(Func<T> func)
    {
        ArgumentNullException.ThrowIfNull(func);
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        Action cancel = () => done.TrySetCanceled();
        lock (_lock)
        {
            if (_disposed || _posted.Count >= _maxQueued)
            {
                if (!_disposed) Interlocked.Increment(ref _queueDrops);
                cancel();
                return done.Task;
            }
            _cancelOnDispose.Add(cancel);
            _posted.Enqueue(() =>
            {
                lock (_lock) _cancelOnDispose.Remove(cancel);
                try { done.SetResult(func()); }
                catch (Exception e) { done.SetException(e); }
            });
            Monitor.Pulse(_lock);
        }
        return done.Task;
    }

    public IDisposable Schedule(TimeSpan delay, Action callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        if (delay < TimeSpan.Zero) delay = TimeSpan.Zero;
        var timer = new Timer(callback);
        lock (_lock)
        {
            if (_disposed) return timer;
            _timers.Enqueue(timer, (Now + delay, _timerOrder++));
            Monitor.Pulse(_lock);
        }
        return timer;
    }

    public void Dispose()
    {
        Action[] cancels;
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            _posted.Clear();
            _timers.Clear();
            cancels = [.. _cancelOnDispose];
            _cancelOnDispose.Clear();
            Monitor.Pulse(_lock);
        }
        foreach (var cancel in cancels) cancel();
        if (!IsOnLoop) _thread.Join(TimeSpan.FromSeconds(5));
    }

    private void Run()
    {
        while (true)
        {
            Action? next = null;
            lock (_lock)
            {
                while (next is null)
                {
                    if (_disposed) return;
                    if (_posted.Count > 0)
                    {
                        next = _posted.Dequeue();
                        break;
                    }
                    if (_timers.TryPeek(out var timer, out var due))
                    {
                        var wait = due.Due - Now;
                        if (wait <= TimeSpan.Zero)
                        {
                            _timers.Dequeue();
                            if (!timer.IsCancelled) next = timer.Callback;
                            continue;
                        }
                        // Monitor.Wait takes whole milliseconds; +1 so we never wake a hair early and spin.
                        Monitor.Wait(_lock, (int)Math.Min(int.MaxValue, Math.Ceiling(wait.TotalMilliseconds)) + 1);
                    }
                    else
                    {
                        Monitor.Wait(_lock);
                    }
                }
            }
            try
            {
                next();
            }
            catch (Exception e)
            {
                Interlocked.Increment(ref _callbackFailures);
                try { CallbackFailed?.Invoke(e); }
                catch { /* a failing logger must not take the loop down either */ }
            }
        }
    }

    private sealed class Timer(Action callback) : IDisposable
    {
        private volatile bool _cancelled;
        public Action Callback { get; } = callback;
        public bool IsCancelled => _cancelled;
        public void Dispose() => _cancelled = true;
    }
}
