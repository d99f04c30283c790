using System.CommandLine;
using Flowmesh.Agent.Hosting;
using Flowmesh.Gossip.Security;

namespace Flowmesh.Agent.Cli;

/// <summary>
/// `flowmesh key rotate | use ID | remove ID | list`: edits a cluster key file for rotation without downtime
/// (docs/gossip-security.md "Key rotation"). Each step is one edit of the file, copied to every node; running agents
/// follow their file within seconds (<see cref="ClusterKeyReload"/>). Prints key ids only, never key material.
/// </summary>
internal static class KeyCommand
{
    public static Command Create()
    {
        var command = new Command("key", "Rotate the cluster key without downtime: 'rotate' adds a new key, 'use ID' makes it primary, 'remove ID' retires the old one; copy the file to every node after each step.");
        command.Subcommands.Add(Step("rotate", "Add a new random key to the file (accepted, not yet used to send) and pin the sketch key so history stays readable. Then copy the file to every node.", null,
            (keys, _) => keys.WithNewKey(ClusterKey.Generate()),
            keys => $"added key {ClusterKeySet.IdText(keys.Keys[^1])}; copy the file to every node, then run: flowmesh key use {ClusterKeySet.IdText(keys.Keys[^1])}"));
        command.Subcommands.Add(Step("use", "Make key ID the primary (the one that seals). Every node must already accept it.", "ID",
            (keys, id) => keys.WithPrimary(id!),
            keys => $"key {ClusterKeySet.IdText(keys.Primary)} is primary; copy the file to every node, then retire the old key with: flowmesh key remove ID"));
        command.Subcommands.Add(Step("remove", "Stop accepting key ID (not the primary). Do this once every node sends with the new primary.", "ID",
            (keys, id) => keys.Without(id!),
            keys => $"{keys.Keys.Count} key(s) left, primary {ClusterKeySet.IdText(keys.Primary)}; copy the file to every node"));
        command.Subcommands.Add(Step("list", "Print the ids of the keys in the file, primary first.", null, null, null));
        return command;
    }

    private static Command Step(string name, string description, string? argumentName,
        Func<ClusterKeySet, string?, ClusterKeySet>? change, Func<ClusterKeySet, string>? next)
    {
        var step = new Command(name, description);
        var keyFile = new Option<string>("--key-file") { Description = "The cluster key file (the agent's --key-file, default <data-dir>/cluster.key).", Required = true };
        step.Options.Add(keyFile);
        Argument<string>? id = argumentName is null ? null : new Argument<string>(argumentName) { Description = "A key id, 8 hex digits, as 'flowmesh key list' prints it." };
        if (id is not null) step.Arguments.Add(id);
        step.SetAction(result =>
        {
            string path = result.GetValue(keyFile)!;
            try
            {
                var keys = ClusterKeyFile.Read(path);
                if (change is not null)
                {
                    keys = change(keys, id is null ? null : result.GetValue(id));
                    ClusterKeyFile.Write(path, keys);
                }
                foreach (var key in keys.Keys)
                    Console.Out.WriteLine($"{ClusterKeySet.IdText(key)}{(ReferenceEquals(key, keys.Primary) ? "  primary" : "")}");
                if (next is not null) Console.Error.WriteLine($"flowmesh: {next(keys)}");
                return ExitCodes.Success;
            }
            catch (FormatException e)
            {
                Console.Error.WriteLine($"flowmesh: {e.Message}");
                return ExitCodes.InputError;
            }
        });
        return step;
    }
}
