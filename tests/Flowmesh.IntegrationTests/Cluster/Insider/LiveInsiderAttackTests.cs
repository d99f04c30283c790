using System.Globalization;
using System.Text.Json;

namespace Flowmesh.IntegrationTests.Cluster.Insider;

/// <summary>
/// Issue 16's rogue-peer harness against real agents: three `flowmesh agent` processes in namespaces, enrolled by one
/// cluster authority, and an insider in the test process on the bridge's root-namespace address that holds the cluster
/// key and a valid certificate of its own ("mallory"). It runs every attack in <see cref="Attacks"/> (membership: forged
/// Dead, top incarnations, address takeover, forged Leave, replay poisoning; records: no certificate, another's name,
/// other sketch settings, a misaligned epoch, a second record in a slot, a flood against the byte budget). Each must be
/// refused and counted, read through the agents' own API (/api/v1/members, /api/v1/status, /api/v1/records, /metrics);
/// afterwards every agent still sees every agent alive and its view covers every honest origin without gaps. Prints
/// one line per attack and, last, <c>insider attacks refused: N of M</c> (sudo testbed/insider-attacks.sh shows them to
/// a person). The loopback twin is tests/Flowmesh.Gossip.Tests/Insider, for machines without root.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class LiveInsiderAttackTests(ITestOutputHelper output) : IDisposable
{
    private const int Nodes = 3;

    /// <summary>The agents' record byte budget (--retention-mib, its smallest value), so the flood needs only a few MiB.</summary>
    private const long BudgetMib = 1;

    private readonly SmallCluster _agents = new(Nodes, agentArguments: ["--retention-mib", BudgetMib.ToString(CultureInfo.InvariantCulture)]);

    /// <summary>Add new attacks here (one class each). The flood comes last: it waits for retention.</summary>
    internal static InsiderAttack[] Attacks() =>
    [
        new ForgedDeadAttack(), new IncarnationExhaustionAttack(), new AddressTakeoverAttack(), new ForgedLeaveAttack(), new ReplayPoisonAttack(),
        new UncertifiedNameAttack(), new ForeignNameRecordAttack(), new OtherSketchSettingsAttack(), new MisalignedEpochAttack(),
        new SecondRecordInSlotAttack(), new StoreFloodAttack(BudgetMib << 20),
    ];

    public void Dispose() => _agents.Dispose();

    [Fact]
    public void Every_insider_attack_on_real_agents_is_refused_and_counted_while_coverage_stays_full()
    {
        var cluster = _agents.Agents;
        using var insider = ClusterInsider.Enrol(cluster);
        using var targets = new InsiderTargets(cluster, insider);
        Poll.Until("every agent sees every agent alive", () => targets.FullMembership, TimeSpan.FromSeconds(60), () => cluster.Diagnostics());
        Poll.Until("every agent holds records of every agent",
            () => targets.Honest.All(n => targets.Honest.All(o => AgentCluster.Api(n).Records(AgentCluster.Name(o)).Count > 0)),
            TimeSpan.FromSeconds(60), () => cluster.Diagnostics());
        long from = Core.UnixMicros.Now(TimeProvider.System);
        targets.Watch();

        var attacks = Attacks();
        var refused = 0;
        foreach (var attack in attacks)
        {
            bool ok;
            string evidence;
            try
            {
                attack.Launch(targets);
                Thread.Sleep(attack.Settle);
                (ok, evidence) = attack.Judge(targets);
            }
            catch (Exception e) when (e is AgentApiException or JsonException or FormatException or Xunit.Sdk.XunitException)
            {
                (ok, evidence) = (false, $"the harness failed: {e.Message}");
            }
            if (ok) refused++;
            output.WriteLine($"{(ok ? "refused" : "NOT REFUSED")}: {attack.Name}: {evidence}");
        }

        // The cluster kept full coverage: membership full everywhere, and every agent's view of the attack's window has
        // every honest origin's records (no missing, late or gapped honest origin).
        var membership = Poll.Until("every agent sees every agent alive after the attacks", () => targets.FullMembership, TimeSpan.FromSeconds(30), () => cluster.Diagnostics());
        long to = Core.UnixMicros.Now(TimeProvider.System) - 3 * Core.UnixMicros.FromDuration(AgentCluster.Epoch);
        var uncovered = new List<string>();
        foreach (int node in targets.Honest)
        {
            using var traffic = JsonDocument.Parse(AgentCluster.Api(node).Get($"/api/v1/traffic?from={from}&to={to}"));
            var coverage = traffic.RootElement.GetProperty("coverage");
            foreach (var status in new[] { "missing", "late", "gaps" })
                foreach (var origin in coverage.GetProperty(status).EnumerateArray().Select(e => e.GetString()))
                    if (targets.Honest.Select(AgentCluster.Name).Contains(origin)) uncovered.Add($"n{node}: {origin} {status} ({coverage.GetProperty("summary")})");
        }
        output.WriteLine($"after the attacks: every agent sees every agent alive ({membership.TotalSeconds:0.0} s), honest origins uncovered in " +
                         $"{(to - from) / 1_000_000} s of attacks: {(uncovered.Count == 0 ? "none" : string.Join("; ", uncovered))}");
        output.WriteLine($"insider attacks refused: {refused} of {attacks.Length}");

        Assert.Empty(uncovered);
        Assert.Equal(attacks.Length, refused);
    }
}
