using System.Globalization;

namespace Flowmesh.Capture.HostContext.Processes;

/// <summary>Network namespace inode numbers, as the kernel hooks record them and /proc/PID/ns/net names them.</summary>
internal static class NetworkNamespace
{
    /// <summary>The agent's own namespace, or 0 when /proc cannot say (then every socket counts as local).</summary>
    public static uint OfCurrentProcess()
    {
        try
        {
            return Parse(new FileInfo("/proc/self/ns/net").LinkTarget);
        }
        catch (IOException)
        {
            return 0;
        }
        catch (UnauthorizedAccessException)
        {
            return 0;
        }
    }

    /// <summary>"net:[4026531840]" -> 4026531840; anything else -> 0.</summary>
    internal static uint Parse(string? link)
    {
        if (link is null || !link.StartsWith("net:[", StringComparison.Ordinal) || !link.EndsWith(']')) return 0;
        return uint.TryParse(link.AsSpan(5, link.Length - 6), NumberStyles.None, CultureInfo.InvariantCulture, out uint inode) ? inode : 0;
    }
}
