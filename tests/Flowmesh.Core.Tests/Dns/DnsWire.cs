using System.Net;
using System.Text;

namespace Flowmesh.Core.Tests.Dns;

/// <summary>Builds DNS messages byte by byte, the way RFC 1035 lays them out, for the decoder and monitor tests.</summary>
internal sealed class DnsWire
{
    private readonly List<byte> _bytes = [];

    public int Length => _bytes.Count;

    public byte[] Build() => [.. _bytes];

    public DnsWire U8(int value)
    {
        _bytes.Add((byte)value);
        return this;
    }

    public DnsWire U16(int value) => U8(value >> 8).U8(value);

    public DnsWire U32(uint value) => U16((int)(value >> 16)).U16((int)(value & 0xFFFF));

    public DnsWire Raw(params byte[] bytes)
    {
        _bytes.AddRange(bytes);
        return this;
    }

    /// <summary>Header: id, QR, opcode 0, RD, the rcode and the four counts.</summary>
    public DnsWire Header(int id, bool response, int rcode = 0, int questions = 1, int answers = 0, int authority = 0, int additional = 0) =>
        U16(id).U8((response ? 0x80 : 0) | 0x01).U8((response ? 0x80 : 0) | rcode).U16(questions).U16(answers).U16(authority).U16(additional);

    /// <summary>An uncompressed name: "www.example.com" as labels and the root.</summary>
    public DnsWire Name(string name)
    {
        if (name != ".")
        {
            foreach (string label in name.Split('.'))
            {
                byte[] bytes = Encoding.ASCII.GetBytes(label);
                U8(bytes.Length).Raw(bytes);
            }
        }
        return U8(0);
    }

    public DnsWire Pointer(int offset) => U8(0xC0 | (offset >> 8)).U8(offset);

    public DnsWire Question(string name, int type, int @class = 1) => Name(name).U16(type).U16(@class);

    /// <summary>The record's fixed fields after its owner name (already written).</summary>
    public DnsWire RecordFields(int type, uint ttl, int dataLength) => U16(type).U16(1).U32(ttl).U16(dataLength);

    public DnsWire AddressRecordAt(int ownerOffset, string address, uint ttl)
    {
        byte[] bytes = IPAddress.Parse(address).GetAddressBytes();
        return Pointer(ownerOffset).RecordFields(bytes.Length == 4 ? 1 : 28, ttl, bytes.Length).Raw(bytes);
    }

    /// <summary>Shorthand: a query for <paramref name="name"/>.</summary>
    public static byte[] Query(int id, string name, int type) => new DnsWire().Header(id, false).Question(name, type).Build();

    /// <summary>Shorthand: a response whose answers are A/AAAA records owned by the question name (pointer to offset 12).</summary>
    public static byte[] Response(int id, string name, int type, int rcode, uint ttl, params string[] addresses)
    {
        var wire = new DnsWire().Header(id, true, rcode, answers: addresses.Length).Question(name, type);
        foreach (string address in addresses) wire.AddressRecordAt(12, address, ttl);
        return wire.Build();
    }
}
