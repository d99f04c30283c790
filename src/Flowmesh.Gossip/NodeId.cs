namespace Flowmesh.Gossip;

/// <summary>
/// A node's stable name in the cluster (a host name by default). Compared ordinally; at most
/// <see cref="MaxLength"/> UTF-8 bytes so every message that carries one has a bounded size.
/// </summary>
public readonly record struct NodeId
{
    public const int MaxLength = 64;

    public NodeId(string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(value);
        if (System.Text.Encoding.UTF8.GetByteCount(value) > MaxLength)
            throw new ArgumentException($"a node id is at most {MaxLength} UTF-8 bytes", nameof(value));
        Value = value;
    }

    public string Value { get; }

    /// <summary>
    /// Whether <paramref name="name"/> is acceptable as a node name from the command line (--name) or the network:
    /// 1..<see cref="MaxLength"/> UTF-8 bytes, no control characters (terminal escapes, newlines that forge log lines),
    /// no whitespace, no invisible format characters (bidirectional overrides, zero-width characters that make two
    /// names look alike), no unpaired surrogates.
    /// </summary>
    public static bool IsValidName(string? name) =>
        !string.IsNullOrEmpty(name) && IsPrintable(name) && System.Text.Encoding.UTF8.GetByteCount(name) <= MaxLength;

    /// <summary>No control, whitespace or format characters and no unpaired surrogates: safe to print in a terminal,
    /// a log line or a table (names, and gossip addresses, which come from the network too).</summary>
    public static bool IsPrintable(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsControl(c) || char.IsWhiteSpace(c)) return false;
            if (char.GetUnicodeCategory(c) == System.Globalization.UnicodeCategory.Format) return false;
            if (char.IsHighSurrogate(c))
            {
                if (i + 1 >= name.Length || !char.IsLowSurrogate(name[i + 1])) return false;
                i++;
            }
            else if (char.IsLowSurrogate(c)) return false;
        }
        return true;
    }

    public override string ToString() => Value;
}
