using Flowmesh.Gossip.Transport;

namespace Flowmesh.Gossip.Tests.Transport;

[Collection(RunsAloneCollection.Name)]
public sealed class GossipEventLoopTests
{
    [Fact]
    public async Task Posted_actions_and_timers_run_on_one_thread_in_order()
    {
        using var loop = new GossipEventLoop();
        var seen = new List<string>();
        var threads = new HashSet<int>();
        void Record(string s) { lock (seen) { seen.Add(s); threads.Add(Environment.CurrentManagedThreadId); } }

        loop.Schedule(TimeSpan.FromMilliseconds(150), () => Record("t150"));
        loop.Schedule(TimeSpan.FromMilliseconds(50), () => Record("t50"));
        for (var i = 0; i < 100; i++)
        {
            var n = i;
            loop.Post(() => Record($"p{n}"));
        }
        await Eventually.True(TimeSpan.FromSeconds(5), () => { lock (seen) return seen.Count == 102; }, "all callbacks ran");

        lock (seen)
        {
            Assert.Equal(Enumerable.Range(0, 100).Select(i => $"p{i}"), seen.Take(100));
            Assert.Equal(["t50", "t150"], seen.Skip(100));
            Assert.Single(threads);
            Assert.DoesNotContain(Environment.CurrentManagedThreadId, threads);
        }
    }

    [Fact]
    public async Task A_timer_fires_no_earlier_than_its_delay_on_the_monotonic_clock()
    {
        using var loop = new GossipEventLoop();
        var scheduledAt = loop.Now;
        var firedAt = new TaskCompletionSource<TimeSpan>();
        loop.Schedule(TimeSpan.FromMilliseconds(100), () => firedAt.SetResult(loop.Now));
        var at = await firedAt.Task.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        Assert.True(at - scheduledAt >= TimeSpan.FromMilliseconds(100), $"fired after {(at - scheduledAt).TotalMilliseconds} ms");
    }

    [Fact]
    public async Task A_disposed_timer_never_fires()
    {
        using var loop = new GossipEventLoop();
        var fired = 0;
        var timer = loop.Schedule(TimeSpan.FromMilliseconds(50), () => Interlocked.Increment(ref fired));
        timer.Dispose();
        var later = new TaskCompletionSource();
        loop.Schedule(TimeSpan.FromMilliseconds(200), () => later.SetResult());
        await later.Task.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        Assert.Equal(0, fired);
    }

    [Fact]
    public async Task A_throwing_callback_is_counted_and_the_loop_keeps_running()
    {
        using var loop = new GossipEventLoop();
        var logged = new List<Exception>();
        loop.CallbackFailed += e => { lock (logged) logged.Add(e); };
        loop.Post(() => throw new InvalidOperationException("boom"));
        loop.Schedule(TimeSpan.FromMilliseconds(10), () => throw new FormatException("timer boom"));
        var after = await loop.InvokeAsync(() => 42).WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        await Eventually.True(TimeSpan.FromSeconds(5), () => loop.CallbackFailures == 2, "both failures counted");

        Assert.Equal(42, after);
        Assert.Equal(42, await loop.InvokeAsync(() => 42).WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken));
        lock (logged) Assert.Equal(["boom", "timer boom"], logged.Select(e => e.Message).Order());
    }

    [Fact]
    public async Task Invocations_pending_at_dispose_are_cancelled_not_left_hanging()
    {
        var loop = new GossipEventLoop();
        var gate = new ManualResetEventSlim();
        loop.Post(() => gate.Wait(TimeSpan.FromSeconds(5))); // keeps the loop busy while we queue behind it
        var pending = loop.InvokeAsync(() => 1);
        var disposing = Task.Run(loop.Dispose, TestContext.Current.CancellationToken);
        await Eventually.True(TimeSpan.FromSeconds(5), () => pending.IsCompleted, "pending invocation completed");
        gate.Set();
        await disposing.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        Assert.True(pending.IsCanceled);
        Assert.True(loop.InvokeAsync(() => 2).IsCanceled);
    }

    [Fact]
    public async Task A_flood_while_the_loop_is_busy_is_held_to_the_queue_bound_and_every_drop_is_counted()
    {
        using var loop = new GossipEventLoop("bounded", maxQueued: 100);
        using var release = new ManualResetEventSlim();
        loop.Post(() => release.Wait(TimeSpan.FromSeconds(10))); // the loop is busy (a slow callback)
        await Eventually.True(TimeSpan.FromSeconds(5), () => loop.Queued == 0, "the blocking callback started");
        var ran = 0;
        var accepted = 0;
        for (var i = 0; i < 1000; i++)
        {
            if (loop.Post(() => Interlocked.Increment(ref ran))) accepted++;
        }
        Assert.Equal(100, accepted);
        Assert.Equal(100, loop.Queued);
        Assert.Equal(900, loop.QueueDrops);
        Assert.True(loop.InvokeAsync(() => 1).IsCanceled); // a call while full is refused, not queued without bound
        Assert.Equal(901, loop.QueueDrops);
        release.Set();
        await Eventually.True(TimeSpan.FromSeconds(5), () => Volatile.Read(ref ran) == 100, "the queued hundred ran");
        Assert.Equal(5, await loop.InvokeAsync(() => 5)); // and the loop serves again
    }
}
