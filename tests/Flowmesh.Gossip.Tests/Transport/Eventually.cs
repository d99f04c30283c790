namespace Flowmesh.Gossip.Tests.Transport;

/// <summary>Polls a condition on real time (sockets and threads): returns how long it took, or null on timeout.</summary>
internal static class Eventually
{
    public static async Task<TimeSpan?> Within(TimeSpan timeout, Func<bool> condition)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        while (started.Elapsed < timeout)
        {
            if (condition()) return started.Elapsed;
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
        return condition() ? started.Elapsed : null;
    }

    public static async Task True(TimeSpan timeout, Func<bool> condition, string what)
    {
        var took = await Within(timeout, condition);
        Assert.True(took.HasValue, $"not within {timeout.TotalSeconds:0.#} s: {what}");
    }
}
