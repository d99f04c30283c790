using System.CommandLine;
using Flowmesh.Agent.Cli;

namespace Flowmesh.Agent;

public static class Program
{
    public static int Main(string[] args)
    {
        var root = new RootCommand("Flowmesh: a decentralized flow monitor. Every PC runs one agent; together they replace the central collector.")
        {
            FlowsCommand.Create(),
            SummarizeCommand.Create(),
            QueryCommand.Create(),
            KeygenCommand.Create(),
            KeyCommand.Create(),
            AuthorityCommands.Authority(),
            AuthorityCommands.Enroll(),
            AgentCommand.Create(),
            MembersCommand.Create(),
            ViewCommands.Top(),
            ViewCommands.Traffic(),
            ViewCommands.Matrix(),
            ViewCommands.Alerts(),
            ViewCommands.Zones(),
            ViewCommands.Rtt(),
            DrillCommand.Create(),
            DashboardCommand.Create(),
            SimulateCommand.Create(),
        };
        // --version prints the commit and build time too, not only the informational version.
        foreach (var option in root.Options.OfType<VersionOption>())
            option.Action = new Cli.VersionAction(Console.Out);
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors) Console.Error.WriteLine($"flowmesh: {error.Message}");
            Console.Error.WriteLine("Try 'flowmesh --help'.");
            return ExitCodes.UsageError;
        }
        return parse.Invoke();
    }
}
