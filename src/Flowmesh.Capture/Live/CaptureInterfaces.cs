using System.Globalization;
using System.Net.NetworkInformation;

namespace Flowmesh.Capture.Live;

/// <summary>Picks the interface to capture on when none is named: the one the default route uses.</summary>
public static class CaptureInterfaces
{
    /// <summary>
    /// The default-route interface from /proc/net/route (IPv4) or else /proc/net/ipv6_route,
    /// else the first interface that is up and not loopback; null when there is none.
    /// </summary>
    public static string? ChooseDefault()
    {
        return DefaultRouteInterface(ReadOrEmpty("/proc/net/route"), ReadOrEmpty("/proc/net/ipv6_route"))
            ?? NetworkInterface.GetAllNetworkInterfaces()
                .FirstOrDefault(n => n.OperationalStatus == OperationalStatus.Up
                                     && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)?.Name;
    }

    /// <summary>The default route's interface, from the text of /proc/net/route and /proc/net/ipv6_route.</summary>
    public static string? DefaultRouteInterface(string ipv4Routes, string ipv6Routes)
    {
        // Iface Destination Gateway Flags RefCnt Use Metric Mask ...; a default route has destination
        // and mask 0 and the RTF_UP flag. The lowest metric wins, as in the kernel.
        string? best = null;
        long bestMetric = long.MaxValue;
        foreach (string line in ipv4Routes.Split('\n').Skip(1))
        {
            string[] f = line.Split(['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 8 || f[1] != "00000000" || f[7] != "00000000") continue;
            if (!int.TryParse(f[3], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int flags) || (flags & 1) == 0) continue;
            long metric = long.TryParse(f[6], CultureInfo.InvariantCulture, out long m) ? m : long.MaxValue;
            if (metric < bestMetric || best is null)
            {
                best = f[0];
                bestMetric = metric;
            }
        }
        if (best is not null) return best;

        // dest destlen src srclen nexthop metric refcnt use flags device (hex fields, no header line).
        bestMetric = long.MaxValue;
        foreach (string line in ipv6Routes.Split('\n'))
        {
            string[] f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 10 || f[1] != "00" || f[0] != new string('0', 32) || f[9] == "lo") continue;
            if (!int.TryParse(f[8], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int flags) || (flags & 1) == 0) continue;
            // The kernel's "unreachable" catch-all default routes carry RTF_REJECT (0x0200).
            if ((flags & 0x0200) != 0) continue;
            long metric = long.TryParse(f[5], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out long m) ? m : long.MaxValue;
            if (metric < bestMetric || best is null)
            {
                best = f[9];
                bestMetric = metric;
            }
        }
        return best;
    }

    private static string ReadOrEmpty(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException)
        {
            return "";
        }
        catch (UnauthorizedAccessException)
        {
            return "";
        }
    }
}
