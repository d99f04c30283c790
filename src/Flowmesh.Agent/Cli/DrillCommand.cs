using System.CommandLine;
using System.Globalization;
using Flowmesh.Agent.Api;

namespace Flowmesh.Agent.Cli;

/// <summary>
/// `flowmesh drill ADDRESS`: the exact flow records behind a sketch answer, fetched by the agent from the agents that
/// observed them (GET /api/v1/flows). Same --window/--from/--to, --format and --agent as the view commands.
/// </summary>
internal static class DrillCommand
{
    public static Command Create()
    {
        var address = new Argument<string>("address") { Description = "A host (10.0.3.7, fd00::7) or a network (10.0.3.0/24)." };
        var origin = new Option<string?>("--origin") { Description = "Ask only this node (default: every alive member)." };
        var port = new Option<int?>("--port") { Description = "Only flows with this source or destination port." };
        var protocol = new Option<string?>("--protocol") { Description = "Only this protocol: tcp, udp, icmp, icmpv6 or a number." };
        var limit = new Option<int>("--limit") { Description = $"How many flows (1-{Drill.FlowQuery.MaxLimit}).", DefaultValueFactory = _ => FlowsEndpoint.DefaultLimit };
        var common = new ViewCommands.CommonOptions();
        var command = new Command("drill", "The exact flow records of an address, fetched on demand from the agents that observed them.") { address, origin, port, protocol, limit };
        common.AddTo(command);
        command.SetAction(parse =>
        {
            string a = parse.GetValue(address) ?? "";
            if (!FlowsEndpoint.TryPrefix(a, out _, out _, out _)) return Fail($"'{a}' is not an IP address or CIDR network (10.0.3.7, 10.0.3.0/24, fd00::/64).");
            int n = parse.GetValue(limit);
            if (n is < 1 or > Drill.FlowQuery.MaxLimit) return Fail($"--limit must be from 1 to {Drill.FlowQuery.MaxLimit}.");
            string query = $"api/v1/flows?address={Uri.EscapeDataString(a)}&limit={n.ToString(CultureInfo.InvariantCulture)}";
            if (parse.GetValue(origin) is { Length: > 0 } o) query += "&origin=" + Uri.EscapeDataString(o);
            if (parse.GetValue(port) is { } p)
            {
                if (p is < 0 or > 65535) return Fail("--port must be from 0 to 65535.");
                query += "&port=" + p.ToString(CultureInfo.InvariantCulture);
            }
            if (parse.GetValue(protocol) is { Length: > 0 } proto) query += "&protocol=" + Uri.EscapeDataString(proto);
            return common.Run(parse, query, ApiJsonContext.Default.FlowsResponse, (stdout, format, flows) => DrillOutput.Write(stdout, Console.Error, format, flows));
        });
        return command;
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"flowmesh: {message}");
        return ExitCodes.UsageError;
    }
}
