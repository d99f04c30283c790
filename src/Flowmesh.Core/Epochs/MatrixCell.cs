namespace Flowmesh.Core.Epochs;

/// <summary>
/// Traffic sent from one subnet to another (/24 for IPv4, /64 for IPv6). The true bytes and packets lie in
/// [lower, upper]; in a single record the kept cells are exact (lower = upper).
/// </summary>
public readonly record struct MatrixCell(AddressPrefix Source, AddressPrefix Destination, ulong BytesLower, ulong BytesUpper, ulong PacketsLower, ulong PacketsUpper);
