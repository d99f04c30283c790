using Flowmesh.Core.Epochs;

namespace Flowmesh.Core.Views;

/// <summary>Traffic sent from one block to another; the truth lies in [Lower, Upper] of each number.</summary>
public sealed record MatrixItem(AddressPrefix Source, AddressPrefix Destination, Measured Bytes, Measured Packets);

/// <summary>Where the cells of a matrix answer come from.</summary>
public enum MatrixBasis
{
    /// <summary>The records' subnet matrices (/24, /64), aggregated to shorter prefixes: tight bounds.</summary>
    SubnetMatrix = 0,
    /// <summary>The top-pairs lists, for prefixes longer than /24 or /64 (hosts): only heavy pairs are named.</summary>
    TopPairs = 1,
}

/// <summary>
/// A traffic matrix at IPv4 /<see cref="Ipv4Prefix"/> and IPv6 /<see cref="Ipv6Prefix"/>, heaviest cells by bytes
/// first. Unattributed is the traffic the listed cells' lower bounds do not account for; any cell not listed carries
/// at most that much.
/// </summary>
public sealed record MatrixAnswer(
    int Ipv4Prefix,
    int Ipv6Prefix,
    MatrixBasis Basis,
    IReadOnlyList<MatrixItem> Cells,
    Measured UnattributedBytes,
    Measured UnattributedPackets,
    ViewCoverage Coverage);
