using Flowmesh.Core.Packets;

namespace Flowmesh.Core.Dns;

/// <summary>One A, AAAA or CNAME record of a response's answer section (other types are skipped).</summary>
/// <param name="Name">The record's owner name, as <see cref="DnsNameReader"/> prints it.</param>
/// <param name="Address">A/AAAA: the address; default for CNAME.</param>
/// <param name="Target">CNAME: the canonical name; null otherwise.</param>
public readonly record struct DnsAnswer(string Name, ushort Type, uint TimeToLiveSeconds, IpAddress128 Address, string? Target);
