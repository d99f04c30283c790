using System.Globalization;
using System.Net;

namespace Flowmesh.Agent.Export;

/// <summary>Where an IPFIX exporter sends: "HOST:PORT" or "udp://HOST:PORT" (UDP), "tcp://HOST:PORT" (TCP); IPv6 in brackets.</summary>
internal sealed record IpfixDestination(string Host, int Port, bool Tcp)
{
    /// <summary>IANA's port for IPFIX (RFC 7011 10.3.4 over UDP, 10.4 over TCP), used when the text names none.</summary>
    public const int DefaultPort = 4739;

    public static IpfixDestination? Parse(string text, out string? error)
    {
        error = null;
        string rest = text.Trim();
        bool tcp = false;
        if (rest.StartsWith("tcp://", StringComparison.OrdinalIgnoreCase)) { tcp = true; rest = rest[6..]; }
        else if (rest.StartsWith("udp://", StringComparison.OrdinalIgnoreCase)) rest = rest[6..];
        else if (rest.Contains("://", StringComparison.Ordinal))
        {
            error = $"--ipfix '{text}': only udp:// and tcp:// are supported.";
            return null;
        }

        string host;
        string? portText = null;
        if (rest.StartsWith('['))
        {
            int close = rest.IndexOf(']', StringComparison.Ordinal);
            if (close < 0) { error = $"--ipfix '{text}': unclosed '[' around an IPv6 address."; return null; }
            host = rest[1..close];
            string after = rest[(close + 1)..];
            if (after.Length > 0)
            {
                if (after[0] != ':') { error = $"--ipfix '{text}' is not [ADDRESS]:PORT."; return null; }
                portText = after[1..];
            }
        }
        else
        {
            int colon = rest.LastIndexOf(':');
            if (colon >= 0 && rest.IndexOf(':', StringComparison.Ordinal) != colon)
            {
                error = $"--ipfix '{text}': write an IPv6 address in brackets, e.g. [::1]:{DefaultPort}.";
                return null;
            }
            host = colon < 0 ? rest : rest[..colon];
            if (colon >= 0) portText = rest[(colon + 1)..];
        }

        if (host.Length == 0 || (!IPAddress.TryParse(host, out _) && Uri.CheckHostName(host) != UriHostNameType.Dns))
        {
            error = $"--ipfix '{text}': '{host}' is neither an IP address nor a host name (HOST:PORT, e.g. 127.0.0.1:{DefaultPort}).";
            return null;
        }
        int port = DefaultPort;
        if (portText is not null && (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535))
        {
            error = $"--ipfix '{text}': the port must be a number from 1 to 65535.";
            return null;
        }
        return new IpfixDestination(host, port, tcp);
    }

    public override string ToString() =>
        (Tcp ? "tcp://" : "udp://") + (Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]" : Host) + ":" + Port.ToString(CultureInfo.InvariantCulture);
}
