using System.Net;
using System.Net.Sockets;
using Flowmesh.Agent.Storage;
using Flowmesh.Gossip;
using Flowmesh.Gossip.Discovery;
using Flowmesh.Gossip.Membership;
using Flowmesh.Gossip.Security;
using Flowmesh.Gossip.Transport;

namespace Flowmesh.Agent.Hosting;

/// <summary>
/// How a starting agent finds its cluster: the --join seeds (resolved until DNS answers), else the members of the
/// last saved membership snapshot, and LAN discovery when it is on.
/// </summary>
internal static class ClusterJoin
{
    /// <summary>The members of the last snapshot worth asking (alive or suspect when saved), or null without one.</summary>
    public static List<GossipAddress>? SnapshotSeeds(AgentDatabase database, NodeId self)
    {
        var snapshot = database.Membership.Load();
        if (snapshot is null) return null;
        return [.. snapshot.Members
            .Where(m => m.Id != self && m.State is MemberState.Alive or MemberState.Suspect)
            .Select(m => m.Address)
            .Distinct()];
    }

    /// <summary>
    /// Resolves --join names (DNS may not be up yet at boot) and hands every resolved seed to the peer, retrying the
    /// unresolved ones until all are resolved or the agent stops.
    /// </summary>
    public static async Task JoinSeedsAsync(IReadOnlyList<JoinTarget> targets, GossipPeer peer, TimeSpan retryInterval, TextWriter log, CancellationToken cancellationToken)
    {
        var resolved = new Dictionary<JoinTarget, GossipAddress>();
        var warned = new HashSet<JoinTarget>();
        while (!cancellationToken.IsCancellationRequested)
        {
            foreach (var target in targets.Where(t => !resolved.ContainsKey(t)))
            {
                try
                {
                    IPAddress address = IPAddress.TryParse(target.Host, out var literal) ? literal
                        : (await Dns.GetHostAddressesAsync(target.Host, cancellationToken).ConfigureAwait(false))
                            .OrderBy(a => a.AddressFamily == AddressFamily.InterNetwork ? 0 : 1).First();
                    resolved[target] = GossipEndpoint.ToAddress(new IPEndPoint(address, target.Port));
                }
                catch (Exception e) when (e is SocketException or InvalidOperationException or ArgumentException)
                {
                    if (warned.Add(target)) log.WriteLine($"flowmesh: --join {target}: cannot resolve ({e.Message}); retrying");
                }
            }
            if (resolved.Count > 0) peer.Join(resolved.Values);
            if (resolved.Count == targets.Count) return;
            await Task.Delay(retryInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>LAN discovery, started; null (and a log line) when this network cannot do it: it must not stop the agent.</summary>
    public static LanDiscovery? StartDiscovery(NodeId self, GossipPeer peer, Keyring keyring, ulong firstSequence, TextWriter log)
    {
        LanDiscovery? discovery = null;
        try
        {
            var endpoint = GossipEndpoint.Parse(peer.LocalAddress);
            discovery = new LanDiscovery(self, endpoint, keyring,
                isMember: id => peer.Members.Any(m => m.Id == id && m.State == MemberState.Alive),
                hasPeers: () => peer.Members.Any(m => m.Id != self && m.State == MemberState.Alive),
                firstSequence: firstSequence);
            discovery.Discovered += found =>
            {
                var address = GossipEndpoint.ToAddress(found.GossipEndpoint);
                // A push-pull with the found node merges views even when both sides already have peers (two halves
                // of a LAN that started apart).
                _ = peer.InvokeAsync(node =>
                {
                    if (node.IsRunning) node.Join(address);
                    return true;
                });
            };
            discovery.Start();
            return discovery;
        }
        catch (Exception e) when (e is SocketException or InvalidOperationException or ArgumentException or FormatException)
        {
            log.WriteLine($"flowmesh: LAN discovery off ({e.Message}); use --join to find peers");
            discovery?.Dispose();
            return null;
        }
    }
}
