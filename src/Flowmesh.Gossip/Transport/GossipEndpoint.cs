using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Flowmesh.Gossip.Membership;

namespace Flowmesh.Gossip.Transport;

/// <summary>
/// The text form of a real node's <see cref="GossipAddress"/>: "ip:port" for IPv4, "[ip]:port" for IPv6 (the
/// brackets keep the port separable). UDP and TCP use the same port, so one address names both. Host names are
/// refused here on purpose: an address travels inside gossip to every member, and a name could resolve differently
/// on each of them; the agent resolves --join names before calling in.
/// </summary>
public static class GossipEndpoint
{
    public static GossipAddress ToAddress(IPEndPoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var ip = endpoint.Address.IsIPv4MappedToIPv6 ? endpoint.Address.MapToIPv4() : endpoint.Address;
        var port = endpoint.Port.ToString(CultureInfo.InvariantCulture);
        return new GossipAddress(ip.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{ip}]:{port}" : $"{ip}:{port}");
    }

    /// <summary>Parses "ip:port" or "[ipv6]:port"; the message says exactly what is wrong.</summary>
    public static bool TryParse(string? text, out IPEndPoint? endpoint, out string? error)
    {
        endpoint = null;
        error = null;
        if (string.IsNullOrWhiteSpace(text)) { error = "empty gossip address (expected ip:port or [ipv6]:port)"; return false; }
        if (text.Length > GossipAddress.MaxLength) { error = $"gossip address longer than {GossipAddress.MaxLength} characters"; return false; }
        string host, port;
        if (text.StartsWith('['))
        {
            var close = text.IndexOf("]:", StringComparison.Ordinal);
            if (close < 0) { error = $"'{text}': an IPv6 address needs the form [address]:port"; return false; }
            host = text[1..close];
            port = text[(close + 2)..];
        }
        else
        {
            var colon = text.LastIndexOf(':');
            if (colon < 0) { error = $"'{text}': missing port (expected ip:port)"; return false; }
            if (text.IndexOf(':') != colon) { error = $"'{text}': an IPv6 address must be written [address]:port"; return false; }
            host = text[..colon];
            port = text[(colon + 1)..];
        }
        if (!IPAddress.TryParse(host, out var ip) || (text.StartsWith('[') && ip.AddressFamily != AddressFamily.InterNetworkV6)
            || (!text.StartsWith('[') && ip.AddressFamily != AddressFamily.InterNetwork))
        {
            error = $"'{text}': '{host}' is not an IP address (host names are resolved by the caller, not gossiped)";
            return false;
        }
        if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var p) || p is < 1 or > 65535)
        {
            error = $"'{text}': port must be a number from 1 to 65535";
            return false;
        }
        endpoint = new IPEndPoint(ip, p);
        return true;
    }

    public static IPEndPoint Parse(GossipAddress address) =>
        TryParse(address.Value, out var endpoint, out var error) ? endpoint! : throw new FormatException(error);
}
