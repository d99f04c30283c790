using System.Net;

namespace Flowmesh.Agent.Api;

/// <summary>
/// DNS-rebinding defence of the local API. A web page the user visits can make the browser resolve the page's own
/// name (rebind.example) to 127.0.0.1 and then read the API as "same origin"; the browser still sends
/// <c>Host: rebind.example</c>. So a request is answered only when its Host is
/// <list type="bullet">
/// <item>a loopback name: <c>localhost</c> or <c>*.localhost</c> (browsers resolve these to loopback themselves);</item>
/// <item>an IP literal (<c>127.0.0.1</c>, <c>[::1]</c>, <c>10.0.0.5</c>): a literal cannot be rebound, since the browser
/// connects to exactly that address, so a page served from elsewhere never sends it to this agent;</item>
/// <item>a name given with <c>--api-allow-host</c> (the agent reached by a DNS name, e.g. behind a reverse proxy);</item>
/// <item>absent (HTTP/1.0 tools; browsers always send one).</item>
/// </list>
/// Anything else gets 403 with a message that names the option.
/// </summary>
internal static class HostCheck
{
    /// <summary>Lower case, no trailing dot: the form names are compared in.</summary>
    public static string Normalize(string name) => name.Trim().TrimEnd('.').ToLowerInvariant();

    /// <summary>A DNS name (labels of letters, digits and '-', 1..253 characters) or an IP literal; no port, no scheme.</summary>
    public static bool IsValidName(string name)
    {
        string n = Normalize(name);
        if (n.Length is 0 or > 253) return false;
        if (IPAddress.TryParse(n.Trim('[', ']'), out _)) return true;
        return n.Split('.').All(label => label.Length is >= 1 and <= 63 && label.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'));
    }

    /// <summary>Whether a request with this Host (without port, as Kestrel parsed it) is answered.</summary>
    public static bool Allowed(string? host, IReadOnlyCollection<string> allowed)
    {
        if (string.IsNullOrEmpty(host)) return true;
        string n = Normalize(host);
        if (n == "localhost" || n.EndsWith(".localhost", StringComparison.Ordinal)) return true;
        string literal = n.StartsWith('[') && n.EndsWith(']') ? n[1..^1] : n;
        // IPAddress.TryParse also takes "10" or "0x7f.1"; both are still literals the browser connects to as such.
        if (IPAddress.TryParse(literal, out _) && !literal.Contains('%', StringComparison.Ordinal)) return true;
        return allowed.Contains(n);
    }
}
