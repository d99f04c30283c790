using Flowmesh.Core.Packets;

namespace Flowmesh.Core.Epochs;

/// <summary>A list of CIDR blocks, e.g. "the addresses of hosts that run an agent". Linear scan: such lists are short.</summary>
public sealed class AddressPrefixSet
{
    private readonly AddressPrefix[] _prefixes;

    public AddressPrefixSet(IEnumerable<AddressPrefix> prefixes) => _prefixes = prefixes.ToArray();

    /// <summary>Parses a comma-separated list such as "10.0.0.0/8,fd00::/8,192.0.2.7".</summary>
    public static AddressPrefixSet Parse(string commaSeparated) =>
        new(commaSeparated.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(AddressPrefix.Parse));

    public static AddressPrefixSet Empty { get; } = new([]);

    public IReadOnlyList<AddressPrefix> Prefixes => _prefixes;

    public bool Contains(IpAddress128 address)
    {
        foreach (var prefix in _prefixes)
            if (prefix.Contains(address)) return true;
        return false;
    }
}
