using System.CommandLine;
using Flowmesh.Gossip.Security;

namespace Flowmesh.Agent.Cli;

/// <summary>`flowmesh keygen`: a new random cluster key, base64, on stdout (redirect it into the key file).</summary>
internal static class KeygenCommand
{
    public static Command Create()
    {
        var command = new Command("keygen", "Print a new random 32-byte cluster key (base64) for --key-file: ./flowmesh keygen > cluster.key");
        command.SetAction(_ =>
        {
            Console.Out.WriteLine(ClusterKey.Generate().ExportBase64());
            return ExitCodes.Success;
        });
        return command;
    }
}
