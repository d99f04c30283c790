using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace Flowmesh.Gossip.Discovery;

/// <summary>A link discovery beacons on: its name, kernel index (for group membership) and an IPv4 address.</summary>
public sealed record MulticastInterface(string Name, int Index, IPAddress Address);

/// <summary>
/// Picks the interfaces to beacon on. Reads the interfaces of the calling thread's network namespace, so call it
/// where the sockets are created.
/// </summary>
public static class MulticastInterfaces
{
    /// <summary>
    /// The named interfaces (each must exist and have an IPv4 address, else an <see cref="ArgumentException"/> says
    /// which), or with no names every interface that is not down, supports multicast, is not loopback and has IPv4.
    /// "Not down" rather than "up": in a namespace entered by a thread the kernel's operstate file may be unreadable
    /// and report Unknown, as loopback and some virtual links always do.
    /// </summary>
    public static IReadOnlyList<MulticastInterface> Select(IReadOnlyList<string> names)
    {
        var all = NetworkInterface.GetAllNetworkInterfaces();
        if (names.Count > 0)
        {
            var picked = new List<MulticastInterface>();
            foreach (var name in names)
            {
                var nic = all.FirstOrDefault(n => n.Name == name)
                    ?? throw new ArgumentException($"no network interface named '{name}'", nameof(names));
                picked.Add(Describe(nic) ?? throw new ArgumentException($"interface '{name}' has no IPv4 address", nameof(names)));
            }
            return picked;
        }
        return all.Where(n => n.NetworkInterfaceType != NetworkInterfaceType.Loopback && n.SupportsMulticast
                && n.OperationalStatus is not (OperationalStatus.Down or OperationalStatus.NotPresent or OperationalStatus.LowerLayerDown))
            .Select(Describe).OfType<MulticastInterface>().ToList();
    }

    private static MulticastInterface? Describe(NetworkInterface nic)
    {
        var props = nic.GetIPProperties();
        var v4 = props.UnicastAddresses.Select(a => a.Address).FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork);
        if (v4 is null) return null;
        int index;
        try
        {
            index = props.GetIPv4Properties().Index;
        }
        catch (NetworkInformationException)
        {
            return null;
        }
        return new MulticastInterface(nic.Name, index, v4);
    }
}
