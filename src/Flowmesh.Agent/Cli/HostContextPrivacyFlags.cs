using System.CommandLine;
using Flowmesh.Core.HostContext;

namespace Flowmesh.Agent.Cli;

/// <summary>The agent's privacy flags: how far program names, users and DNS names travel (docs/host-context.md "Privacy").</summary>
internal sealed class HostContextPrivacyFlags
{
    private const string Modes = "shared (in records), hashed (in records as a hash keyed with the cluster key), local (drill-down on this PC only) or off";

    private readonly Option<string> _programs = new("--share-programs") { Description = $"Program names: {Modes}.", DefaultValueFactory = _ => HostContextPrivacy.Default.Programs.ToText() };
    private readonly Option<string> _users = new("--share-users") { Description = $"Users behind flows: {Modes}.", DefaultValueFactory = _ => HostContextPrivacy.Default.Users.ToText() };
    private readonly Option<string> _names = new("--share-names") { Description = $"DNS names looked up: {Modes}.", DefaultValueFactory = _ => HostContextPrivacy.Default.Names.ToText() };

    public void AddTo(Command command)
    {
        command.Options.Add(_programs);
        command.Options.Add(_users);
        command.Options.Add(_names);
    }

    /// <summary>The settings, or null with the problem in <paramref name="error"/>.</summary>
    public HostContextPrivacy? Parse(ParseResult parse, out string? error)
    {
        error = null;
        var modes = new SharingMode[3];
        Option<string>[] options = [_programs, _users, _names];
        for (int i = 0; i < options.Length; i++)
        {
            string? text = parse.GetValue(options[i]);
            if (!SharingModeNames.TryParse(text, out modes[i]))
            {
                error = $"{options[i].Name} '{text}': give shared, hashed, local or off.";
                return null;
            }
        }
        return new HostContextPrivacy { Programs = modes[0], Users = modes[1], Names = modes[2] };
    }
}
