namespace Flowmesh.Core.Epochs;

/// <summary>The names of <see cref="TopKind"/> as the API, the CLI and the output spell them: "talkers" ... "flows".</summary>
public static class TopKindNames
{
    /// <summary>Every kind's name, in the enum's order (the order help texts and errors list them).</summary>
    public static IReadOnlyList<string> All { get; } = Enum.GetValues<TopKind>().Select(Name).ToArray();

    public static string Name(TopKind kind) => kind.ToString().ToLowerInvariant();

    /// <summary>"talker" for one key of the list: every name is a plain plural.</summary>
    public static string Singular(TopKind kind) => Name(kind)[..^1];

    public static bool TryParse(string? text, out TopKind kind)
    {
        foreach (var k in Enum.GetValues<TopKind>())
        {
            if (string.Equals(text, Name(k), StringComparison.Ordinal))
            {
                kind = k;
                return true;
            }
        }
        kind = default;
        return false;
    }
}
