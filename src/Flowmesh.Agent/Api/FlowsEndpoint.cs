using Flowmesh.Core.HostContext;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Flowmesh.Agent.Drill;
using Flowmesh.Core.Packets;
using Flowmesh.Core.Views;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Flowmesh.Agent.Api;

/// <summary>
/// GET /api/v1/flows (docs/api.md): the drill-down from a sketch answer to the exact flow records, asked on demand
/// from the origins (<see cref="FlowDrill"/>). Every bad parameter is a 400 with a message.
/// </summary>
internal static class FlowsEndpoint
{
    public const string Path = "/api/v1/flows";
    public const int DefaultLimit = 100;
    private static readonly string[] Parameters = [.. ViewQuery.WindowParameters, "address", "origin", "port", "protocol", "limit"];

    public static void Map(WebApplication app, FlowDrill drill, Func<long> nowMicros, DrillThrottle? throttle = null, ApiRefusals? refusals = null)
    {
        throttle ??= new DrillThrottle();
        app.MapGet(Path, async context =>
        {
            var parsed = Parse(context.Request.Query, nowMicros(), out string? error);
            if (parsed is null)
            {
                await AgentApi.Error(context, StatusCodes.Status400BadRequest, error!).ConfigureAwait(false);
                return;
            }
            var (query, address, origin) = parsed.Value;
            var targets = drill.Targets(origin);
            if (origin is not null && targets.Count == 0)
            {
                await AgentApi.Error(context, StatusCodes.Status404NotFound, $"no member named '{AgentApi.Printable(origin)}'").ConfigureAwait(false);
                return;
            }
            if (throttle.TryStart() is { } busy)
            {
                refusals?.Count(ApiRefusal.DrillBusy);
                context.Response.Headers.RetryAfter = "2";
                await AgentApi.Error(context, StatusCodes.Status429TooManyRequests, busy).ConfigureAwait(false);
                return;
            }
            FlowDrillResult result;
            try
            {
                result = await drill.AskAsync(query, targets, context.RequestAborted).ConfigureAwait(false);
            }
            finally
            {
                throttle.Done();
            }
            var flows = result.Flows.Select(f => Document(f.Origin, f.Row)).ToList();
            await AgentApi.Write(context, 200,
                new FlowsResponse(address, new WindowDocument(ViewDocuments.Instant(query.FromMicros), ViewDocuments.Instant(query.ToMicros)),
                    flows, result.Truncated, result.Asked, result.Answered, result.Failed, drill.Unreachable(origin), result.WithoutFlowLog),
                ApiJsonContext.Default.FlowsResponse).ConfigureAwait(false);
        });
    }

    /// <summary>The query, the address as asked (normalized) and the origin filter; null with a message when anything is bad.</summary>
    internal static (FlowQuery Query, string Address, string? Origin)? Parse(IQueryCollection q, long nowMicros, out string? error)
    {
        error = null;
        foreach (var (key, values) in q)
        {
            if (!Parameters.Contains(key)) { error = $"unknown query parameter '{AgentApi.Printable(key)}'; accepted: {string.Join(", ", Parameters)}"; return null; }
            if (values.Count > 1) { error = $"query parameter '{AgentApi.Printable(key)}' is given {values.Count} times"; return null; }
        }
        string? addressText = q["address"];
        if (string.IsNullOrEmpty(addressText)) { error = "address= is required: a host (10.0.3.7, fd00::7) or a network (10.0.3.0/24)"; return null; }
        if (!TryPrefix(addressText, out var network, out int prefix, out string normalized))
        {
            error = $"address='{AgentApi.Printable(addressText)}' is not an IP address or CIDR network (10.0.3.7, 10.0.3.0/24, fd00::/64)";
            return null;
        }
        if (new FlowQuery(0, 1, network, prefix, null, null, 1).Breadth() is { } broad)
        {
            error = $"address={AgentApi.Printable(addressText)} is {broad}";
            return null;
        }
        var window = ViewQuery.Parse(q, out error);
        if (window is null) return null;
        long from, to;
        if (window.Explicit is { } w) (from, to) = (w.FromMicros, w.ToMicros);
        else (from, to) = (nowMicros - Core.UnixMicros.FromDuration(window.Length!.Value), nowMicros);

        ushort? port = null;
        if (q["port"].ToString() is { Length: > 0 } portText)
        {
            if (!ushort.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out ushort p)) { error = $"port='{AgentApi.Printable(portText)}' must be a whole number from 0 to 65535"; return null; }
            port = p;
        }
        byte? protocol = null;
        if (q["protocol"].ToString() is { Length: > 0 } protocolText)
        {
            protocol = protocolText switch
            {
                "tcp" => 6, "udp" => 17, "icmp" => 1, "icmpv6" => 58,
                _ => byte.TryParse(protocolText, NumberStyles.None, CultureInfo.InvariantCulture, out byte n) ? n : null,
            };
            if (protocol is null) { error = $"protocol='{AgentApi.Printable(protocolText)}' is not tcp, udp, icmp, icmpv6 or a number from 0 to 255"; return null; }
        }
        if (ViewQuery.Limit(q, DefaultLimit, FlowQuery.MaxLimit, out error) is not { } limit) return null;
        string? origin = q["origin"].ToString() is { Length: > 0 } o ? o : null;
        if (origin is not null && (origin.Length > 64 || origin.Any(char.IsControl))) { error = $"origin='{AgentApi.Printable(origin)}' is not a node name"; return null; }
        return (new FlowQuery(from, to, network, prefix, port, protocol, limit), normalized, origin);
    }

    /// <summary>"10.0.3.7", "10.0.3.0/24", "fd00::7", "fd00::/64". IPv4 prefixes become IPv4-mapped (+96 bits).</summary>
    internal static bool TryPrefix(string text, out IpAddress128 network, out int prefixLength, out string normalized)
    {
        network = default;
        prefixLength = 0;
        normalized = "";
        if (text.Length > 64) return false;
        int slash = text.IndexOf('/', StringComparison.Ordinal);
        string host = slash < 0 ? text : text[..slash];
        if (host.Length == 0 || host.Contains('%', StringComparison.Ordinal) || !IPAddress.TryParse(host, out var address)) return false;
        bool v4 = address.AddressFamily == AddressFamily.InterNetwork;
        // IPAddress.TryParse accepts "10" and "10.3" as shorthand; only the full dotted form is an address here.
        if (v4 && host.Count(c => c == '.') != 3) return false;
        int max = v4 ? 32 : 128;
        int bits = max;
        if (slash >= 0 && (!int.TryParse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out bits) || bits < 0 || bits > max)) return false;
        network = IpAddress128.From(address);
        prefixLength = v4 ? bits + 96 : bits;
        var (low, _) = new FlowQuery(0, 1, network, prefixLength, null, null, 1).Range();
        network = low;
        normalized = bits == max ? network.ToString() : $"{network}/{bits}";
        return true;
    }

    private static FlowDocument Document(string origin, FlowRow row)
    {
        var context = row.Context;
        var process = context?.Process;
        var tcp = context?.Tcp;
        return new(
            origin, ProtocolName(row.Protocol), row.Protocol, row.Source.ToString(), row.SourcePort, row.Destination.ToString(), row.DestinationPort,
            row.BytesOut, row.PacketsOut, row.BytesIn, row.PacketsIn,
            ViewDocuments.Instant(row.FirstMicros), ViewDocuments.Instant(row.LastMicros), row.FirstMicros, row.LastMicros,
            row.Protocol == 6 ? TcpFlagNames(row.TcpFlags) : null,
            process is null ? null : new ProcessDocument(process.Pid, process.Name, process.Path, process.UserId, process.User, process.Unit, process.Source.ToText()),
            tcp?.SmoothedRttMicros, tcp?.MinRttMicros, tcp?.MaxRttMicros, tcp?.Retransmits, context?.DnsName,
            context is { Drops.Count: > 0 } ? [.. context.Drops.Select(d => new DropDocument(d.Reason, d.Packets))] : null);
    }

    private static readonly string[] FlagNames = ["FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"];

    /// <summary>"FIN,SYN,ACK": the flags seen in either direction, in header bit order; "" when none.</summary>
    internal static string TcpFlagNames(byte flags) =>
        string.Join(',', Enumerable.Range(0, 8).Where(bit => (flags & (1 << bit)) != 0).Select(bit => FlagNames[bit]));

    internal static string ProtocolName(byte protocol) => protocol switch
    {
        6 => "tcp", 17 => "udp", 1 => "icmp", 58 => "icmpv6",
        _ => protocol.ToString(CultureInfo.InvariantCulture),
    };
}
