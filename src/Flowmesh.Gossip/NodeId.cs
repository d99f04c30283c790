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

    public override string ToString() => Value;
}
