using System.Collections;
using System.CommandLine;
using System.CommandLine.Help;
using System.Globalization;
using Flowmesh.Agent.Output;

namespace Flowmesh.Agent.Configuration;

/// <summary>
/// The agent's effective settings: the command line over the configuration file over the defaults, one setting per
/// flag of `flowmesh agent`. The file's settings are turned into the flags they name and parsed by the same command,
/// so a value from the file passes exactly the checks the flag's value does, and every flag added to the command is a
/// file setting without further code.
/// </summary>
internal sealed class AgentSettings
{
    private readonly IReadOnlyList<Option> _settings;
    private readonly ParseResult _commandLine;

    private AgentSettings(IReadOnlyList<Option> settings, ParseResult commandLine, ParseResult effective, AgentConfigFile? file, string? missingDefault)
    {
        _settings = settings;
        _commandLine = commandLine;
        Effective = effective;
        File = file;
        MissingDefault = missingDefault;
    }

    /// <summary>The command line with the file's settings added where the command line says nothing: read values from it as from any parse.</summary>
    public ParseResult Effective { get; }

    public AgentConfigFile? File { get; }

    /// <summary>The default file's path when no --config was given and it does not exist (print-config says so).</summary>
    private string? MissingDefault { get; }

    /// <summary>The setting name of a flag: "--retention-mib" is "retention-mib".</summary>
    public static string KeyOf(Option option) => option.Name.TrimStart('-');

    /// <summary>Every flag of <paramref name="command"/> but <paramref name="notSettings"/> (--config itself, --print-config), with the JSON type its value takes.</summary>
    public static IReadOnlyDictionary<string, SettingKind> Schema(Command command, IReadOnlyCollection<Option> notSettings) =>
        SettingsOf(command, notSettings).ToDictionary(KeyOf, KindOf, StringComparer.Ordinal);

    private static List<Option> SettingsOf(Command command, IReadOnlyCollection<Option> notSettings) =>
        [.. command.Options.Where(o => !notSettings.Contains(o) && !o.Hidden && o is not HelpOption)];

    private static SettingKind KindOf(Option option) => option.ValueType switch
    {
        var t when t == typeof(bool) => SettingKind.Switch,
        var t when t == typeof(long) || t == typeof(int) => SettingKind.Integer,
        var t when t == typeof(double) => SettingKind.Number,
        var t when t == typeof(string[]) => SettingKind.TextList,
        var t when t == typeof(string) => SettingKind.Text,
        var t => throw new NotSupportedException($"{option.Name}: a {t.Name} flag has no configuration file form yet; add one to AgentSettings.KindOf."),
    };

    /// <summary>
    /// Reads the file (<paramref name="configPath"/> when given, else <paramref name="defaultPath"/> when it exists) and
    /// merges it under <paramref name="commandLine"/>. Null with a message naming the file and the setting when the file
    /// cannot be read or one of its values would be refused as a flag.
    /// </summary>
    public static AgentSettings? Resolve(Command command, ParseResult commandLine, IReadOnlyCollection<Option> notSettings, string? configPath, string? defaultPath, out string? error)
    {
        var settings = SettingsOf(command, notSettings);
        string? path = configPath;
        string? missingDefault = null;
        if (path is null && defaultPath is not null)
        {
            if (System.IO.File.Exists(defaultPath)) path = defaultPath;
            else missingDefault = defaultPath;
        }
        AgentConfigFile? file = null;
        var fileTokens = new List<string>();
        if (path is not null)
        {
            file = AgentConfigFile.Load(path, Schema(command, notSettings), out error);
            if (file is null) return null;
            foreach (var option in settings)
            {
                if (!file.Values.TryGetValue(KeyOf(option), out var values)) continue;
                var tokens = values.SelectMany(v => FlagTokens(option, v)).ToList();
                // Each setting alone through the flag's own parser, so its error names the setting it is about.
                if (command.Parse(tokens).Errors is { Count: > 0 } errors)
                {
                    error = $"{path}: setting '{KeyOf(option)}': {errors[0].Message}";
                    return null;
                }
                if (IsOnCommandLine(commandLine, option)) continue;
                fileTokens.AddRange(tokens);
            }
        }
        var commandLineTokens = new List<string>();
        foreach (var option in command.Options)
        {
            if (!IsOnCommandLine(commandLine, option)) continue;
            var result = commandLine.GetResult(option)!;
            if (result.Tokens.Count == 0) commandLineTokens.Add(option.Name);
            else commandLineTokens.AddRange(result.Tokens.SelectMany(t => FlagTokens(option, t.Value)));
        }
        var effective = command.Parse([.. commandLineTokens, .. fileTokens]);
        if (effective.Errors.Count > 0)
        {
            error = effective.Errors[0].Message;
            return null;
        }
        error = null;
        return new AgentSettings(settings, commandLine, effective, file, missingDefault);
    }

    /// <summary>
    /// A flag and its value as tokens: "--name=-x" keeps a value that starts with a dash a value; an empty value must be
    /// its own token ("--name=" reads as no value at all), so the flag's own check reports it.
    /// </summary>
    private static string[] FlagTokens(Option option, string value) => value.Length == 0 ? [option.Name, value] : [$"{option.Name}={value}"];

    private static bool IsOnCommandLine(ParseResult commandLine, Option option) => commandLine.GetResult(option) is { Implicit: false };

    public SettingSource SourceOf(Option option) =>
        IsOnCommandLine(_commandLine, option) ? SettingSource.Flag
        : File is not null && File.Values.ContainsKey(KeyOf(option)) ? SettingSource.File
        : SettingSource.Default;

    /// <summary>
    /// An error of the agent's option checks, which name the flag ("--epoch 'x' ..."), with the file added when that
    /// flag's value came from it: the user looks for the mistake where it is.
    /// </summary>
    public string Explain(string error)
    {
        var option = _settings.OrderByDescending(o => o.Name.Length).FirstOrDefault(o => error.StartsWith(o.Name, StringComparison.Ordinal));
        return option is not null && SourceOf(option) == SettingSource.File ? $"{error} (setting '{KeyOf(option)}' in {File!.Path})" : error;
    }

    /// <summary>
    /// `--print-config`: every setting, its effective value and its source. <paramref name="resolved"/> gives the value a
    /// setting left unset resolves to (the host name, the data directory), where the agent works one out.
    /// No setting holds a secret: keys and tokens live in files that settings name by path, and only the path is shown.
    /// </summary>
    public void Print(TextWriter output, Func<Option, string?> resolved)
    {
        output.WriteLine(File is not null ? $"# configuration file: {File.Path}"
            : MissingDefault is not null ? $"# configuration file: none ({MissingDefault} does not exist)"
            : "# configuration file: none");
        var table = new TextTable(["setting", "value", "source"]);
        foreach (var option in _settings)
        {
            object? value = Effective.GetResult(option) is { } result ? result.GetValueOrDefault<object?>() : null;
            string text = Format(value);
            if (text.Length == 0 && resolved(option) is { } fallback) text = fallback;
            table.Add(KeyOf(option), text.Length == 0 ? "-" : text, SourceOf(option).ToString().ToLowerInvariant());
        }
        table.WriteAligned(output);
    }

    private static string Format(object? value) => value switch
    {
        null => "",
        string s => s,
        bool b => b ? "true" : "false",
        IEnumerable list => string.Join(", ", list.Cast<object?>().Select(Format)),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
