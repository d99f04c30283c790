namespace Flowmesh.Gossip.Membership;

/// <summary>Where a node's datagrams go ("10.0.0.5:7946" on real sockets, any name in the simulator). At most 255 UTF-8 bytes.</summary>
public readonly record struct GossipAddress(string Value)
{
    public const int MaxLength = 255;

    public override string ToString() => Value;
}
