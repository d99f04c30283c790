using System.Globalization;
using System.Text.RegularExpressions;

namespace Flowmesh.Agent.Tests.Hosting;

/// <summary>
/// Enrolment between real agent processes (issue 16): agent a's local authority (&lt;data-dir&gt;/ca) enrols b and c
/// with 'flowmesh enroll'-made bundles; d holds the cluster key but no certificate of that authority. Before issue 16
/// d's records were accepted (its name was bound on first use). A revocation made with 'flowmesh ca revoke' where the
/// authority lives reaches b by gossip and b refuses c's records from then on.
/// </summary>
[Collection(nameof(AgentProcessCollection))]
public sealed class CertifiedAgentTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fmh-certs-").FullName;
    private readonly List<AgentProcess> _agents = [];

    [Fact]
    public void An_uncertified_insider_is_refused_and_a_revocation_spreads_to_a_second_agent_and_takes_effect()
    {
        if (!Environment.IsPrivilegedProcess) Assert.Skip("needs root: the agents capture on loopback with libpcap");
        string[] capture = ["--capture", "pcap", "-i", "lo", "--epoch", "1s"];
        string aData = Path.Combine(_directory, "a");
        var a = Track(AgentProcess.Start("a", aData, capture));
        var b = Track(AgentProcess.Start("b", Path.Combine(_directory, "b"), ["--join", a.Gossip, .. AgentProcess.EnrolledBy(aData, "b")]));
        var c = Track(AgentProcess.Start("c", Path.Combine(_directory, "c"), [.. capture, "--join", a.Gossip, .. AgentProcess.EnrolledBy(aData, "c")]));
        // The insider: the cluster key (so its packets open), and a certificate from an authority of its own.
        var d = Track(AgentProcess.Start("d", Path.Combine(_directory, "d"), [.. capture, "--join", a.Gossip, "--key-file", Path.Combine(aData, "cluster.key")]));

        AgentProcess.WaitUntil(() => Count(b, "c") >= 3 && Count(b, "a") >= 3 && Sealed(d) >= 5, TimeSpan.FromSeconds(45),
            () => b.Output + "\n" + d.Output);
        Assert.Equal(0, Count(b, "d"));
        Assert.Equal(0, Count(a, "d"));
        // Membership takes the same certificates: the insider's packets are refused before it is a member (or, had
        // any record got through, at the record's intake).
        Assert.True(Rejected(b) > 0 || CredentialDrops(a) > 0, a.Get("metrics"));

        var (code, output, error) = AgentProcess.Cli("ca", "revoke", "--dir", Path.Combine(aData, "ca"), "--name", "c");
        Assert.True(code == 0, output + error);
        Assert.Contains("revocation list 1 written", output);

        // a reads its authority's file, b learns the list from a by gossip (b has no file to read) and persists it.
        AgentProcess.WaitUntil(() => b.Output.Contains("revocation list 1 learned", StringComparison.Ordinal), TimeSpan.FromSeconds(30),
            () => a.Output + "\n" + b.Output);
        Assert.True(File.Exists(Path.Combine(_directory, "b", "revocations")));
        Thread.Sleep(1500); // records of c already in flight when the list arrived
        int held = Count(b, "c");
        long sealedByC = Sealed(c);
        AgentProcess.WaitUntil(() => Sealed(c) >= sealedByC + 4 && Count(b, "a") >= 10, TimeSpan.FromSeconds(30), () => c.Output);
        Assert.Equal(held, Count(b, "c"));
    }

    private static int Count(AgentProcess agent, string origin) => agent.Records().Keys.Count(k => k.Origin == origin);

    private static long Sealed(AgentProcess agent) => agent.Status().GetProperty("records").GetProperty("sealed").GetInt64();

    private static long CredentialDrops(AgentProcess agent)
    {
        var match = Regex.Match(agent.Get("metrics"), @"^flowmesh_gossip_dropped_packets_total\{reason=""credential_refused""\} (\d+)", RegexOptions.Multiline);
        return match.Success ? long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : -1;
    }

    private static long Rejected(AgentProcess agent)
    {
        var match = Regex.Match(agent.Get("metrics"), @"^flowmesh_records_rejected_total(?:\{[^}]*\})? (\d+)", RegexOptions.Multiline);
        return match.Success ? long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : -1;
    }

    private AgentProcess Track(AgentProcess agent)
    {
        _agents.Add(agent);
        return agent;
    }

    public void Dispose()
    {
        foreach (var agent in _agents) agent.Dispose();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }
}
