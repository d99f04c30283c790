using System.CommandLine;
using System.Text;
using Flowmesh.Agent.Api;
using Flowmesh.Agent.Output;

namespace Flowmesh.Agent.Cli;

/// <summary>`flowmesh members`: the cluster as an agent sees it (alive / suspect / dead / left, with ages).</summary>
internal static class MembersCommand
{
    public static Command Create()
    {
        var agent = new Option<string?>("--agent") { Description = $"The agent to ask (default: this PC's, {AgentApiClient.DefaultAgent})." };
        var format = new Option<string?>("--format") { Description = "Output format (default: table on a terminal, json when piped)." };
        format.AcceptOnlyFromAmong("table", "csv", "json");
        var timeout = new Option<double>("--timeout") { Description = "Seconds to wait for the agent.", DefaultValueFactory = _ => 5 };
        var tokenFile = AgentApiClient.TokenFileOption();

        var command = new Command("members", "List the cluster's members as an agent sees them: alive, suspect, dead or left, and for how long.")
        {
            agent, format, timeout, tokenFile,
        };
        command.SetAction(parse =>
        {
            Uri url = AgentApiClient.DefaultAgent;
            if (parse.GetValue(agent) is string text)
            {
                if (AgentApiClient.ParseAgentUrl(text, out string? error) is not { } parsed) return Fail(ExitCodes.UsageError, error!);
                url = parsed;
            }
            if (parse.GetValue(timeout) is <= 0 or > 600 or double.NaN) return Fail(ExitCodes.UsageError, "--timeout must be between 0 and 600 seconds.");
            var outputFormat = parse.GetValue(format) switch
            {
                "table" => OutputFormat.Table,
                "csv" => OutputFormat.Csv,
                "json" => OutputFormat.Json,
                _ => Console.IsOutputRedirected ? OutputFormat.Json : OutputFormat.Table,
            };
            if (AgentApiClient.Create(url, TimeSpan.FromSeconds(parse.GetValue(timeout)), parse.GetValue(tokenFile), out string? tokenError) is not { } client)
                return Fail(ExitCodes.InputError, tokenError!);
            var (members, failure) = client.GetAsync("api/v1/members", ApiJsonContext.Default.MembersResponse, CancellationToken.None).GetAwaiter().GetResult();
            if (members is null) return Fail(ExitCodes.AgentUnavailable, failure!);
            using var stdout = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false));
            MembersOutput.Write(stdout, outputFormat, members);
            return ExitCodes.Success;
        });
        return command;
    }

    private static int Fail(int code, string message)
    {
        Console.Error.WriteLine($"flowmesh: {message}");
        return code;
    }
}
