namespace Flowmesh.Core.Dns;

/// <summary>The RR types the decoder reads (RFC 1035, RFC 3596); every other type is kept as its number only.</summary>
public static class DnsRecordType
{
    public const ushort A = 1;
    public const ushort Cname = 5;
    public const ushort Aaaa = 28;
}
