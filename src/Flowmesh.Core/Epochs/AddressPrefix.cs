using System.Globalization;
using Flowmesh.Core.Packets;

namespace Flowmesh.Core.Epochs;

/// <summary>
/// A CIDR block over <see cref="IpAddress128"/>'s 128-bit space. An IPv4 prefix /n is held as /(96+n) of the
/// IPv4-mapped space, so "10.0.0.0/8" matches exactly the IPv4 addresses 10.x.y.z.
/// </summary>
public readonly record struct AddressPrefix(IpAddress128 Network, int Length)
{
    /// <summary>Parses "10.1.2.0/24", "fd00::/64" or a bare address (a /32 or /128).</summary>
    public static AddressPrefix Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string[] parts = text.Trim().Split('/');
        if (parts.Length > 2 || !System.Net.IPAddress.TryParse(parts[0], out var ip))
            throw new FormatException($"'{text}' is not an address or CIDR block.");
        var address = IpAddress128.From(ip);
        int familyBits = address.IsIPv4 ? 32 : 128;
        int length = familyBits;
        if (parts.Length == 2 && (!int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out length) || length > familyBits))
            throw new FormatException($"'{text}': prefix length must be 0..{familyBits}.");
        return Of(address, address.IsIPv4 ? 96 + length : length);
    }

    /// <summary>The block of <paramref name="length"/> leading bits (of the 128-bit form) that contains <paramref name="address"/>.</summary>
    public static AddressPrefix Of(IpAddress128 address, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, 128);
        return new AddressPrefix(Mask(address, length), length);
    }

    /// <summary>The subnet used by the traffic matrix: /24 for IPv4, /64 for IPv6.</summary>
    public static AddressPrefix MatrixSubnet(IpAddress128 address) => Of(address, address.IsIPv4 ? 96 + 24 : 64);

    public bool Contains(IpAddress128 address) => Mask(address, Length) == Network;

    private static IpAddress128 Mask(IpAddress128 address, int length)
    {
        ulong highMask = length >= 64 ? ulong.MaxValue : length == 0 ? 0 : ulong.MaxValue << (64 - length);
        ulong lowMask = length <= 64 ? 0 : length == 128 ? ulong.MaxValue : ulong.MaxValue << (128 - length);
        return new IpAddress128(address.High & highMask, address.Low & lowMask);
    }

    public override string ToString() =>
        Network.IsIPv4 && Length >= 96 ? $"{Network}/{Length - 96}" : $"{Network}/{Length}";
}
