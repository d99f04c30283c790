namespace Flowmesh.Core.Packets;

/// <summary>What a link-layer header says follows it.</summary>
internal enum NetworkLayer : byte
{
    /// <summary>The link layer does not say (raw IP, MPLS payload): the IP version nibble decides.</summary>
    ByVersionNibble,
    Ipv4,
    Ipv6,
}
