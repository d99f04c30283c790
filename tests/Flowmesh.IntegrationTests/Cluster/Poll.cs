using System.Diagnostics;
using System.Text.Json;

namespace Flowmesh.IntegrationTests.Cluster;

/// <summary>
/// Bounded waiting for a distributed condition: evaluates it every <c>interval</c> until it holds or the deadline
/// passes, and returns how long it took (the measured convergence or detection time). An agent that does not
/// answer or answers garbage counts as "not yet"; on timeout the test fails with the last state seen.
/// </summary>
internal static class Poll
{
    public static TimeSpan Until(string what, Func<bool> condition, TimeSpan timeout, Func<string> lastState, TimeSpan? interval = null)
    {
        var clock = Stopwatch.StartNew();
        string lastError = "";
        while (true)
        {
            try
            {
                if (condition()) return clock.Elapsed;
            }
            catch (Exception e) when (e is AgentApiException or JsonException or FormatException or KeyNotFoundException or InvalidOperationException)
            {
                lastError = e.Message;
            }
            if (clock.Elapsed >= timeout)
            {
                string state;
                try { state = lastState(); } catch (Exception e) { state = $"(state unavailable: {e.Message})"; }
                Assert.Fail($"{what}: not reached within {timeout.TotalSeconds:0.#} s.\nLast state:\n{state}" + (lastError.Length > 0 ? $"\nLast error: {lastError}" : ""));
            }
            Thread.Sleep(interval ?? TimeSpan.FromMilliseconds(250));
        }
    }
}
