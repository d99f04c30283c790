using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using Flowmesh.Agent.Enrolment;
using Flowmesh.Agent.Hosting;
using Flowmesh.Gossip;
using Flowmesh.Gossip.Membership;
using Flowmesh.Gossip.Security;
using Flowmesh.Gossip.Transport;

namespace Flowmesh.Agent.Tests.Hosting;

/// <summary>
/// Issue 16's refusals as an operator sees them: real agents a and b (b enrolled by a's authority), an enrolled
/// insider, mallory, who holds the cluster key and a certificate of its own and sends forged membership from its own
/// UDP socket on loopback, and eve, who holds the cluster key only (her certificate is from an authority of her own).
/// Every attack must raise its counter on a's /metrics (scraped over HTTP, as Prometheus would), every series must be
/// there at 0 before the first attack, and b must stay alive at its own address. A certificate revoked with
/// 'flowmesh ca revoke' shows as the list's serial on both agents (b learns it by gossip) and its holder's packets as
/// revoked credentials.
/// </summary>
[Collection(nameof(AgentProcessCollection))]
public sealed class InsiderRefusalMetricsAgentTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fmh-insider-metrics-").FullName;
    private readonly List<AgentProcess> _agents = [];

    [Fact]
    public void Forged_membership_and_revoked_certificates_are_counted_on_metrics_by_reason_and_stage()
    {
        string aData = Path.Combine(_directory, "a");
        var a = Track(AgentProcess.Start("a", aData));
        var b = Track(AgentProcess.Start("b", Path.Combine(_directory, "b"), ["--join", a.Gossip, .. AgentProcess.EnrolledBy(aData, "b")]));
        AgentProcess.WaitUntil(() => MemberOf(a, "b") is { } m && m.GetProperty("state").GetString() == "alive", TimeSpan.FromSeconds(30), () => a.Get("api/v1/members"));
        var victim = new NodeId("b");
        uint incarnation = MemberOf(a, "b")!.Value.GetProperty("incarnation").GetUInt32();

        // Every series of the fixed label sets is there before the first refusal (rate() needs one).
        string before = a.Get("metrics");
        foreach (var series in new[]
        {
            """flowmesh_gossip_membership_refused_total{reason="unsigned_claim"}""",
            """flowmesh_gossip_membership_refused_total{reason="accusation_above_incarnation"}""",
            """flowmesh_credentials_refused_total{stage="record",reason="revoked"}""",
            """flowmesh_credentials_refused_total{stage="membership",reason="wrong_node"}""",
            """flowmesh_revocation_lists_total{outcome="learned"}""",
            "flowmesh_gossip_remote_deaths_suspected_total", "flowmesh_revocation_serial", "flowmesh_revocation_revoked_certificates",
        })
            Assert.Equal(0, Value(before, series));

        var keyring = new Keyring(ClusterKeyFile.Read(Path.Combine(aData, "cluster.key")).Primary);
        using var authority = AuthorityDirectory.Open(Path.Combine(aData, "ca"));
        var mallory = authority.Enrol(new NodeId("mallory"), TimeSpan.FromDays(1), null);
        var trudy = authority.Enrol(new NodeId("trudy"), TimeSpan.FromDays(1), null);
        using var malloryKey = mallory.Identity;
        using var trudyKey = trudy.Identity;
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var malloryAddress = GossipEndpoint.ToAddress((IPEndPoint)socket.LocalEndPoint!);
        var target = GossipEndpoint.Parse(new GossipAddress(a.Gossip));
        var asMallory = new PacketSealer(keyring, mallory.Certificate.Node, signer: new NodeCredential(mallory.Certificate.Node, mallory.Identity, mallory.Certificate.Encode()));
        // Mallory's key and certificate on a claim about b: b's name, mallory's certificate.
        var claimsAsB = new MembershipClaims(new NodeCredential(victim, mallory.Identity, mallory.Certificate.Encode()), new VerifiedCredentials(new FirstUseCredentialVerifier()));

        socket.SendTo(asMallory.Seal(MessageCodec.EncodePacket(
            new Dead(victim, incarnation, mallory.Certificate.Node),                     // taken as suspicion, b refutes
            new Dead(victim, uint.MaxValue, mallory.Certificate.Node),                   // above what b signed
            new Alive(victim, incarnation + 1, malloryAddress),                          // unsigned
            claimsAsB.Sign(new Alive(victim, incarnation + 2, malloryAddress)))), target); // signed, but not by b's certificate
        // A whole packet in b's name, signed by mallory: refused before membership sees it.
        var inBsName = new PacketSealer(keyring, victim, signer: new NodeCredential(victim, mallory.Identity, mallory.Certificate.Encode()));
        socket.SendTo(inBsName.Seal(MessageCodec.EncodePacket(new Alive(victim, incarnation + 3, malloryAddress))), target);

        // A stolen cluster key without enrolment: eve's certificate is from an authority of her own.
        using var eveAuthority = ClusterAuthority.Generate();
        using var eveKey = NodeIdentity.Generate();
        var eve = new NodeId("eve");
        var asEve = new PacketSealer(keyring, eve, signer: new NodeCredential(eve, eveKey,
            eveAuthority.Issue(eve, eveKey.PublicKey, DateTimeOffset.UtcNow.AddHours(-1), TimeSpan.FromDays(1)).Encode()));
        socket.SendTo(asEve.Seal(MessageCodec.EncodePacket(new Dead(victim, incarnation, eve))), target);

        AgentProcess.WaitUntil(() => Value(a.Get("metrics"), """flowmesh_credentials_refused_total{stage="packet",reason="wrong_node"}""") >= 1
            && Value(a.Get("metrics"), """flowmesh_credentials_refused_total{stage="packet",reason="untrusted_issuer"}""") >= 1
            && Value(a.Get("metrics"), "flowmesh_gossip_remote_deaths_suspected_total") >= 1, TimeSpan.FromSeconds(15), () => a.Get("metrics"));
        string after = a.Get("metrics");
        Assert.True(Value(after, """flowmesh_gossip_membership_refused_total{reason="unsigned_claim"}""") >= 1, after);
        Assert.True(Value(after, """flowmesh_gossip_membership_refused_total{reason="accusation_above_incarnation"}""") >= 1, after);
        Assert.True(Value(after, """flowmesh_gossip_membership_refused_total{reason="credential_refused"}""") >= 1, after);
        Assert.True(Value(after, """flowmesh_credentials_refused_total{stage="membership",reason="wrong_node"}""") >= 1, after);
        Assert.True(Value(after, """flowmesh_gossip_dropped_packets_total{reason="credential_refused"}""") >= 1, after);
        // b refuted the accusation and kept its address: the cluster's membership is whole.
        AgentProcess.WaitUntil(() => MemberOf(a, "b") is { } m && m.GetProperty("state").GetString() == "alive" && m.GetProperty("incarnation").GetUInt32() > incarnation,
            TimeSpan.FromSeconds(15), () => a.Get("api/v1/members"));
        Assert.Equal(b.Gossip, MemberOf(a, "b")!.Value.GetProperty("address").GetString());

        // Revoke trudy where the authority lives; a reads the file, b learns the list from a by gossip.
        var (code, output, error) = AgentProcess.Cli("ca", "revoke", "--dir", Path.Combine(aData, "ca"), "--name", "trudy");
        Assert.True(code == 0, output + error);
        AgentProcess.WaitUntil(() => Value(a.Get("metrics"), "flowmesh_revocation_serial") == 1 && Value(b.Get("metrics"), "flowmesh_revocation_serial") == 1,
            TimeSpan.FromSeconds(30), () => a.Output + "\n" + b.Output);
        string atB = b.Get("metrics");
        Assert.Equal(1, Value(atB, "flowmesh_revocation_revoked_certificates"));
        Assert.Equal(1, Value(atB, """flowmesh_revocation_lists_total{outcome="learned"}"""));
        Assert.True(Value(atB, """flowmesh_revocation_lists_total{outcome="received"}""") >= 1, atB);
        Assert.Equal(0, Value(atB, """flowmesh_revocation_lists_total{outcome="refused"}"""));

        var asTrudy = new PacketSealer(keyring, trudy.Certificate.Node, signer: new NodeCredential(trudy.Certificate.Node, trudy.Identity, trudy.Certificate.Encode()));
        socket.SendTo(asTrudy.Seal(MessageCodec.EncodePacket(new Dead(victim, incarnation, trudy.Certificate.Node))), target);
        AgentProcess.WaitUntil(() => Value(a.Get("metrics"), """flowmesh_credentials_refused_total{stage="packet",reason="revoked"}""") == 1,
            TimeSpan.FromSeconds(15), () => a.Get("metrics"));
    }

    private static JsonElement? MemberOf(AgentProcess agent, string name)
    {
        using var json = JsonDocument.Parse(agent.Get("api/v1/members"));
        foreach (var m in json.RootElement.GetProperty("members").EnumerateArray())
            if (m.GetProperty("name").GetString() == name) return m.Clone();
        return null;
    }

    /// <summary>The value of one series (name and labels exactly as /metrics writes them); -1 when it is missing.</summary>
    private static long Value(string metrics, string series)
    {
        var match = Regex.Match(metrics, "^" + Regex.Escape(series) + @" (\d+)$", RegexOptions.Multiline);
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
