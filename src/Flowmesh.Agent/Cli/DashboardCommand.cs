using System.CommandLine;

namespace Flowmesh.Agent.Cli;

/// <summary>
/// `flowmesh dashboard`: the address to open the dashboard at, with the API token in the fragment (#token=...), which
/// the page keeps for its tab and sends with its API requests (drill-down needs it; beyond loopback everything does).
/// The fragment never reaches a server or a log. Prints only for a user who can read the token file.
/// </summary>
internal static class DashboardCommand
{
    public static Command Create()
    {
        var agent = new Option<string?>("--agent") { Description = $"The agent whose dashboard to open (default: this PC's, {AgentApiClient.DefaultAgent})." };
        var tokenFile = AgentApiClient.TokenFileOption();
        var command = new Command("dashboard", "Print the dashboard's address with the API token, for a browser.") { agent, tokenFile };
        command.SetAction(parse =>
        {
            Uri url = AgentApiClient.DefaultAgent;
            if (parse.GetValue(agent) is string text)
            {
                if (AgentApiClient.ParseAgentUrl(text, out string? error) is not { } parsed) return Fail(ExitCodes.UsageError, error!);
                url = parsed;
            }
            if (AgentApiClient.Create(url, TimeSpan.FromSeconds(5), parse.GetValue(tokenFile), out string? tokenError) is not { } client)
                return Fail(ExitCodes.InputError, tokenError!);
            if (client.Token is null)
            {
                Console.WriteLine(url);
                Console.Error.WriteLine("flowmesh: no API token readable here: the dashboard works, drill-down will ask for the token (run as root or as a member of the flowmesh group, or pass --token-file)");
                return ExitCodes.Success;
            }
            Console.WriteLine($"{url}#token={client.Token.Value}");
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
