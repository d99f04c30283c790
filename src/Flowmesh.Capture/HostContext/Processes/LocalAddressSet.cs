using System.Net.NetworkInformation;
using Flowmesh.Core.Packets;

namespace Flowmesh.Capture.HostContext.Processes;

/// <summary>
/// The addresses of this PC's interfaces (in the agent's network namespace), re-read at most every few seconds: only
/// unattributed flows ask, to tell forwarded traffic from local traffic whose socket was not found.
/// </summary>
public sealed class LocalAddressSet
{
    private static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(5);
    private readonly Func<IEnumerable<IpAddress128>> _read;
    private HashSet<IpAddress128> _addresses = [];
    private long _readAt = long.MinValue;

    public LocalAddressSet() : this(ReadInterfaces) { }

    internal LocalAddressSet(Func<IEnumerable<IpAddress128>> read) => _read = read;

    public bool Contains(IpAddress128 address)
    {
        long now = Environment.TickCount64;
        if (_readAt == long.MinValue || now - _readAt > RefreshInterval.TotalMilliseconds)
        {
            _addresses = [.. _read()];
            _readAt = now;
        }
        return _addresses.Contains(address);
    }

    private static IEnumerable<IpAddress128> ReadInterfaces()
    {
        var addresses = new List<IpAddress128>();
        try
        {
            foreach (NetworkInterface network in NetworkInterface.GetAllNetworkInterfaces())
            {
                foreach (UnicastIPAddressInformation unicast in network.GetIPProperties().UnicastAddresses)
                    addresses.Add(IpAddress128.From(unicast.Address));
            }
        }
        catch (NetworkInformationException)
        {
            // An unreadable interface list makes every unattributed flow count as forwarded; nothing else depends on it.
        }
        return addresses;
    }
}
