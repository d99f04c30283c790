using System.Globalization;
using Flowmesh.Core.Flows;

namespace Flowmesh.Agent.Hosting;

/// <summary>
/// Test-only: makes this agent lie like a compromised PC, for the cross-check's live tests (docs/cross-check.md).
/// <c>FLOWMESH_TEST_OMIT_PORTS=LOW-HIGH</c> leaves every flow with a source or destination port in that range out of this
/// agent's records (sketches, totals and peer accounts: a consistent lie). An environment variable rather than a flag, so
/// it is in no --help, no configuration file and no deploy/agent.json; the agent says loudly at start that it is lying.
/// </summary>
internal static class LyingPcHook
{
    public const string Variable = "FLOWMESH_TEST_OMIT_PORTS";

    public static Func<FlowTableDelta, bool>? FromEnvironment(TextWriter log)
    {
        string? text = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrWhiteSpace(text)) return null;
        var parts = text.Split('-', 2);
        if (!ushort.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out ushort low)
            || !ushort.TryParse(parts.Length == 2 ? parts[1] : parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out ushort high) || high < low)
        {
            log.WriteLine($"flowmesh: ignoring {Variable}={text}: expected LOW-HIGH ports");
            return null;
        }
        log.WriteLine($"flowmesh: TEST ONLY: {Variable} leaves flows with a port in {low}-{high} out of this agent's records (a lying PC for the cross-check tests)");
        return d => (d.SourcePort >= low && d.SourcePort <= high) || (d.DestinationPort >= low && d.DestinationPort <= high);
    }
}
