using Flowmesh.Core.Epochs;
using Flowmesh.Core.Views;
using Flowmesh.Core.Packets;
using static Flowmesh.Core.Tests.Epochs.EpochTestTraffic;

namespace Flowmesh.Core.Tests.Epochs;

[Collection(nameof(RunsAloneCollection))]
public sealed class FlowOwnershipTests
{
    private static readonly AddressPrefixSet Monitored = AddressPrefixSet.Parse("10.1.0.0/24,10.2.0.0/24");

    [Fact]
    public void TwoAgentsSeeingTheSameFlowsCountEachOnceWhenMerged()
    {
        // Agent "clients" runs on every 10.1.0.x host, agent "servers" on every 10.2.0.x host (two sites of
        // monitored hosts). Each sees exactly the packets that touch its hosts, so flows between the sites are seen twice.
        var packets = Generate(seed: 30);
        var clientSite = AddressPrefix.Parse("10.1.0.0/24");
        var serverSite = AddressPrefix.Parse("10.2.0.0/24");
        bool Touches(SyntheticPacket p, AddressPrefix site) => site.Contains(IpAddress128.Parse(p.Source)) || site.Contains(IpAddress128.Parse(p.Destination));
        var seenByClients = packets.Where(p => Touches(p, clientSite)).ToList();
        var seenByServers = packets.Where(p => Touches(p, serverSite)).ToList();
        Assert.Contains(seenByClients, seenByServers.Contains); // the overlap this test is about

        var clients = Summarize(seenByClients, TimeSpan.FromSeconds(10), origin: "clients", ownership: new FlowOwnership(a => clientSite.Contains(a), Monitored.Contains));
        var servers = Summarize(seenByServers, TimeSpan.FromSeconds(10), origin: "servers", ownership: new FlowOwnership(a => serverSite.Contains(a), Monitored.Contains));
        var view = Merge([.. clients, .. servers]);

        var union = seenByClients.Union(seenByServers).ToList();
        Assert.Equal((ulong)union.Sum(p => p.IpLength), (ulong)view.Totals().Bytes.Value);
        Assert.Equal((ulong)union.Count, (ulong)view.Totals().Packets.Value);
        ulong foreign = (ulong)(seenByClients.Count + seenByServers.Count - union.Count);
        Assert.Equal(foreign, view.Coverage.Health.ForeignPackets);

        // Without the rule the same records double-count the shared flows: the check above can fail.
        var naive = Merge([.. Summarize(seenByClients, TimeSpan.FromSeconds(10), origin: "clients"), .. Summarize(seenByServers, TimeSpan.FromSeconds(10), origin: "servers")]);
        Assert.NotEqual(view.Totals().Packets.Value, naive.Totals().Packets.Value);
    }

    [Theory]
    [InlineData("10.1.0.5", "10.2.0.9", "10.1.0.5", true)]   // both monitored: the lower address's agent
    [InlineData("10.2.0.9", "10.1.0.5", "10.1.0.5", true)]   // regardless of direction
    [InlineData("10.1.0.5", "10.2.0.9", "10.2.0.9", false)]
    [InlineData("10.2.0.9", "8.8.8.8", "10.2.0.9", true)]    // one monitored end: its agent, even though 8.8.8.8 is lower
    [InlineData("8.8.8.8", "9.9.9.9", "10.1.0.1", true)]     // neither monitored: whoever sees it
    public void RuleDependsOnlyOnTheAddressPair(string a, string b, string local, bool owns)
    {
        var ownership = new FlowOwnership(x => x == IpAddress128.Parse(local), Monitored.Contains);
        Assert.Equal(owns, ownership.Owns(IpAddress128.Parse(a), IpAddress128.Parse(b)));
        Assert.Equal(owns, ownership.Owns(IpAddress128.Parse(b), IpAddress128.Parse(a)));
    }

    [Theory]
    [InlineData("10.0.0.0/8", "10.255.1.2", true)]
    [InlineData("10.0.0.0/8", "11.0.0.1", false)]
    [InlineData("192.0.2.7", "192.0.2.7", true)]
    [InlineData("192.0.2.7", "192.0.2.8", false)]
    [InlineData("2001:db8::/32", "2001:db8:ffff::1", true)]
    [InlineData("2001:db8::/32", "2001:db9::1", false)]
    [InlineData("0.0.0.0/0", "2001:db8::1", false)]
    [InlineData("::/0", "10.0.0.1", true)]
    public void PrefixesMatchTheirAddresses(string prefix, string address, bool contains) =>
        Assert.Equal(contains, AddressPrefix.Parse(prefix).Contains(IpAddress128.Parse(address)));

    [Theory]
    [InlineData("10.0.0.0/33")]
    [InlineData("nonsense")]
    [InlineData("10.0.0.0/8/8")]
    [InlineData("::/129")]
    public void BadPrefixesAreRejected(string text) => Assert.Throws<FormatException>(() => AddressPrefix.Parse(text));
}
