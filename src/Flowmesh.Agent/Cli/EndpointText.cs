using System.Globalization;
using System.Net;
using Flowmesh.Agent.Hosting;

namespace Flowmesh.Agent.Cli;

/// <summary>
/// Parses the address options of `flowmesh agent`: "ADDRESS:PORT" (IPv6 in brackets: "[::1]:7947") for --bind,
/// --advertise and --api, and "host" or "host:port" for --join. Every error names the option and the expected form.
/// </summary>
internal static class EndpointText
{
    /// <summary>An IP address and a port; <paramref name="defaultPort"/> applies when the text has no port (null = port required).</summary>
    public static IPEndPoint? ParseAddressAndPort(string text, string option, int? defaultPort, out string? error, bool allowAnyPort = false)
    {
        error = null;
        if (!Split(text.Trim(), out string host, out string? portText) || host.Length == 0)
        {
            error = $"{option} '{text}' is not ADDRESS:PORT (e.g. 127.0.0.1:7947 or [::1]:7947).";
            return null;
        }
        if (!IPAddress.TryParse(host, out var address) || (host.Contains(':') != (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6)))
        {
            error = $"{option} '{text}': '{host}' is not an IP address (ADDRESS:PORT, e.g. 0.0.0.0:7946).";
            return null;
        }
        int? port = portText is null ? defaultPort : allowAnyPort && portText == "0" ? 0 : ParsePort(portText);
        if (port is null)
        {
            error = portText is null
                ? $"{option} '{text}' needs a port (ADDRESS:PORT)."
                : $"{option} '{text}': the port must be a number from 1 to 65535.";
            return null;
        }
        return new IPEndPoint(address, port.Value);
    }

    /// <summary>A --join seed: a host name or IP address, with an optional port (default 7946).</summary>
    public static JoinTarget? ParseJoin(string text, out string? error)
    {
        error = null;
        string t = text.Trim();
        if (!Split(t, out string host, out string? portText) || host.Length == 0)
        {
            error = $"--join '{text}' is not host[:port] (e.g. 10.0.0.5 or 10.0.0.5:7946).";
            return null;
        }
        int? port = portText is null ? AgentOptions.DefaultGossipPort : ParsePort(portText);
        if (port is null)
        {
            error = $"--join '{text}': the port must be a number from 1 to 65535.";
            return null;
        }
        if (!IPAddress.TryParse(host, out _) && Uri.CheckHostName(host) != UriHostNameType.Dns)
        {
            error = $"--join '{text}': '{host}' is neither an IP address nor a host name.";
            return null;
        }
        return new JoinTarget(host, port.Value);
    }

    // "a.b.c.d", "a.b.c.d:p", "name", "name:p", "[v6]", "[v6]:p", and a bare v6 address (no port).
    private static bool Split(string text, out string host, out string? port)
    {
        host = text;
        port = null;
        if (text.StartsWith('['))
        {
            int close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0) return false;
            host = text[1..close];
            string rest = text[(close + 1)..];
            if (rest.Length == 0) return true;
            if (!rest.StartsWith(':')) return false;
            port = rest[1..];
            return true;
        }
        int colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0) return true;
        if (text.IndexOf(':', colon + 1) >= 0) return true; // bare IPv6, no port
        host = text[..colon];
        port = text[(colon + 1)..];
        return true;
    }

    private static int? ParsePort(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int port) && port is >= 1 and <= 65535 ? port : null;
}
