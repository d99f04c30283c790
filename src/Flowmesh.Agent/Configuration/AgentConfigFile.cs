using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Flowmesh.Agent.Configuration;

/// <summary>
/// The decoded agent configuration file (/etc/flowmesh/agent.json, docs/agent.md "Configuration file"): one JSON object
/// whose keys are `flowmesh agent` flags without their dashes, each holding the value the flag would take.
///
/// Decoded by hand over System.Text.Json's document model (no reflection binding, so native AOT and trimming keep it
/// whole), strictly: an unknown key, a key given twice or a value of the wrong JSON type is an error that names the key,
/// so a typo never silently falls back to a default. Comments and trailing commas are allowed, since people edit it.
/// The file is bounded (<see cref="MaxBytes"/>, <see cref="MaxDepth"/>) so a hostile or damaged file costs nothing but
/// its error message.
/// </summary>
internal sealed class AgentConfigFile
{
    /// <summary>Where the agent looks when no --config is given; used only when it exists.</summary>
    public const string DefaultPath = "/etc/flowmesh/agent.json";

    /// <summary>A real file is a few kilobytes; anything this large is not one.</summary>
    public const int MaxBytes = 1 << 20;

    /// <summary>The object, an array in it, and one spare level so a nested value reports a type error, not a depth error.</summary>
    public const int MaxDepth = 4;

    /// <summary>Longest single value or list accepted; every flag value is far shorter.</summary>
    private const int MaxListLength = 1024;

    private AgentConfigFile(string path, IReadOnlyDictionary<string, string[]> values)
    {
        Path = path;
        Values = values;
    }

    public string Path { get; }

    /// <summary>Setting name to its values as flag text: one for text, switch and integer settings, any number for lists.</summary>
    public IReadOnlyDictionary<string, string[]> Values { get; }

    /// <summary>Reads and decodes <paramref name="path"/>; null with the reason (naming the file and, where one is to blame, the key).</summary>
    public static AgentConfigFile? Load(string path, IReadOnlyDictionary<string, SettingKind> schema, out string? error)
    {
        byte[] bytes;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            // Read at most one byte past the limit: a huge or endless file (a FIFO, /dev/zero) costs 1 MiB, not all of it.
            bytes = new byte[MaxBytes + 1];
            int length = 0, read;
            while (length < bytes.Length && (read = stream.Read(bytes, length, bytes.Length - length)) > 0) length += read;
            if (length > MaxBytes)
            {
                error = $"{path}: larger than {MaxBytes / 1024} KiB; not a configuration file.";
                return null;
            }
            Array.Resize(ref bytes, length);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            error = $"{path}: cannot be read ({e.Message}).";
            return null;
        }
        return Decode(bytes, path, schema, out error);
    }

    /// <summary>Decodes a file's bytes; <paramref name="path"/> only names it in messages.</summary>
    public static AgentConfigFile? Decode(ReadOnlySpan<byte> bytes, string path, IReadOnlyDictionary<string, SettingKind> schema, out string? error)
    {
        if (bytes.Length > MaxBytes)
        {
            error = $"{path}: larger than {MaxBytes / 1024} KiB; not a configuration file.";
            return null;
        }
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) bytes = bytes[3..]; // a BOM some editors write
        // The reader checks the structure but not every string's bytes; a bad sequence would throw when the string is read.
        if (!System.Text.Unicode.Utf8.IsValid(bytes))
        {
            error = $"{path}: not UTF-8 text.";
            return null;
        }
        JsonDocument document;
        try
        {
            // Parse checks the whole input: anything after the object but blanks and comments is an error.
            document = JsonDocument.Parse(bytes.ToArray(), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true, MaxDepth = MaxDepth });
        }
        catch (JsonException e)
        {
            // LineNumber and BytePositionInLine count from 0.
            string where = e.LineNumber is long line ? $" at line {line + 1}, column {(e.BytePositionInLine ?? 0) + 1}" : "";
            error = $"{path}: not valid JSON{where} ({FirstSentence(e.Message)}).";
            return null;
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                error = $"{path}: must hold one JSON object {{ \"setting\": value, ... }}, not {Describe(document.RootElement)}.";
                return null;
            }
            var values = new Dictionary<string, string[]>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                string key = property.Name;
                if (!schema.TryGetValue(key, out var kind))
                {
                    error = $"{path}: unknown setting '{Printable(key)}'{Suggestion(key, schema.Keys)}. The settings are the flags of 'flowmesh agent --help' without their dashes.";
                    return null;
                }
                if (values.ContainsKey(key))
                {
                    error = $"{path}: setting '{key}' is given twice.";
                    return null;
                }
                if (ValueOf(property.Value, kind) is not { } value)
                {
                    error = $"{path}: setting '{key}' must be {Expected(kind)}, not {Describe(property.Value)}.";
                    return null;
                }
                values.Add(key, value);
            }
            error = null;
            return new AgentConfigFile(path, values);
        }
    }

    private static string[]? ValueOf(JsonElement value, SettingKind kind)
    {
        switch (kind)
        {
            case SettingKind.Text:
                return value.ValueKind == JsonValueKind.String ? [value.GetString()!] : null;
            case SettingKind.Switch:
                return value.ValueKind switch { JsonValueKind.True => ["true"], JsonValueKind.False => ["false"], _ => null };
            case SettingKind.Integer:
                return value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out long number) ? [number.ToString(CultureInfo.InvariantCulture)] : null;
            case SettingKind.Number:
                return value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out double real) && double.IsFinite(real) ? [real.ToString("R", CultureInfo.InvariantCulture)] : null;
            case SettingKind.TextList:
                if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() > MaxListLength) return null;
                var items = new string[value.GetArrayLength()];
                int i = 0;
                foreach (var item in value.EnumerateArray())
                {
                    if (item.ValueKind != JsonValueKind.String) return null;
                    items[i++] = item.GetString()!;
                }
                return items;
            default:
                return null;
        }
    }

    private static string Expected(SettingKind kind) => kind switch
    {
        SettingKind.Text => "a string",
        SettingKind.TextList => $"a list of strings [\"...\", ...] (at most {MaxListLength})",
        SettingKind.Switch => "true or false",
        SettingKind.Integer => "a whole number",
        SettingKind.Number => "a number",
        _ => kind.ToString(),
    };

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array when value.GetArrayLength() > MaxListLength => $"a list of {value.GetArrayLength()}",
        JsonValueKind.Array when value.EnumerateArray().Any(i => i.ValueKind != JsonValueKind.String) => "a list holding other than strings",
        JsonValueKind.Array => "a list",
        JsonValueKind.String => "a string",
        JsonValueKind.Number when value.TryGetInt64(out _) => "a number",
        JsonValueKind.Number => "a number that is not a whole 64-bit number",
        JsonValueKind.True or JsonValueKind.False => "true/false",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };

    /// <summary>"did you mean" for a key one or two edits away from a real one (a typo, or the flag's dashes kept).</summary>
    private static string Suggestion(string key, IEnumerable<string> known)
    {
        string trimmed = key.TrimStart('-');
        if (trimmed.Length != key.Length && known.Contains(trimmed)) return $" (without the dashes: '{trimmed}')";
        if (key.Length > 64) return "";
        string? best = known.Where(k => EditDistance(k, key) <= 2).OrderBy(k => EditDistance(k, key)).FirstOrDefault();
        return best is null ? "" : $" (did you mean '{best}'?)";
    }

    private static int EditDistance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) previous[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(current[j - 1], previous[j]) + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }

    /// <summary>A key as it may be echoed: control characters replaced, at most 64 characters.</summary>
    internal static string Printable(string text)
    {
        var builder = new StringBuilder();
        foreach (char c in text.Length > 64 ? text[..64] : text) builder.Append(char.IsControl(c) || char.IsSurrogate(c) ? '?' : c);
        if (text.Length > 64) builder.Append("...");
        return builder.ToString();
    }

    private static string FirstSentence(string message)
    {
        int end = message.IndexOf(". ", StringComparison.Ordinal);
        return (end < 0 ? message : message[..end]).TrimEnd('.');
    }
}
