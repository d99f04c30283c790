using System.Globalization;
using Flowmesh.Core.Flows;

namespace Flowmesh.Agent.Cli;

/// <summary>Parses --idle-timeout "tcp=300,udp=60,icmp=30,other=60,closed=5" (seconds; any subset) onto flow table options.</summary>
internal static class IdleTimeoutSpec
{
    public static FlowTableOptions Apply(FlowTableOptions options, string spec, out string? error)
    {
        error = null;
        foreach (var part in spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var pair = part.Split('=', 2, StringSplitOptions.TrimEntries);
            if (pair.Length != 2 || !double.TryParse(pair[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds) || seconds <= 0 || seconds > 7 * 86400)
            {
                error = $"--idle-timeout: '{part}' is not PROTOCOL=SECONDS with 0 < SECONDS <= 604800";
                return options;
            }
            var value = TimeSpan.FromSeconds(seconds);
            switch (pair[0].ToLowerInvariant())
            {
                case "tcp": options = options with { TcpIdleTimeout = value }; break;
                case "udp": options = options with { UdpIdleTimeout = value }; break;
                case "icmp": options = options with { IcmpIdleTimeout = value }; break;
                case "other": options = options with { OtherIdleTimeout = value }; break;
                case "closed": options = options with { TcpClosedTimeout = value }; break;
                default:
                    error = $"--idle-timeout: unknown class '{pair[0]}' (expected tcp, udp, icmp, other or closed)";
                    return options;
            }
        }
        return options;
    }
}
