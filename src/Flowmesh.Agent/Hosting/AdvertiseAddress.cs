using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace Flowmesh.Agent.Hosting;

/// <summary>
/// The address peers should use for this node when it binds a wildcard (0.0.0.0): the first IPv4 address of an up,
/// non-loopback interface, preferring interfaces with a default gateway (the LAN-facing one). Found locally, without
/// sending anything. Loopback when the host has nothing else (then only local peers can reach it).
/// </summary>
internal static class AdvertiseAddress
{
    public static IPEndPoint Choose(IPEndPoint bind, IPEndPoint? configured)
    {
        if (configured is not null) return configured;
        if (!bind.Address.Equals(IPAddress.Any) && !bind.Address.Equals(IPAddress.IPv6Any)) return bind;
        var candidates = NetworkInterface.GetAllNetworkInterfaces()
            .Where(i => i.OperationalStatus == OperationalStatus.Up && i.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .Select(i => (Interface: i, Properties: i.GetIPProperties()))
            .SelectMany(x => x.Properties.UnicastAddresses
                .Where(a => a.Address.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a.Address))
                .Select(a => (a.Address, HasGateway: x.Properties.GatewayAddresses.Any(g => !g.Address.Equals(IPAddress.Any)))))
            .OrderByDescending(x => x.HasGateway)
            .ToList();
        var address = candidates.Count > 0 ? candidates[0].Address : IPAddress.Loopback;
        return new IPEndPoint(address, bind.Port);
    }
}
