using System.Globalization;

namespace Flowmesh.Capture.Ebpf;

/// <summary>An interface of the current network namespace as /sys/class/net describes it.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")] // netlink, tc/tcx, bpf(): Linux only (docs/windows.md)
internal sealed record LinuxNetworkInterface(string Name, int Index, bool IsUp, int HardwareType)
{
    public const int HardwareEthernet = 1;      // ARPHRD_ETHER: veth, physical NICs, bridges, macvlan, ...
    public const int HardwareLoopback = 772;    // ARPHRD_LOOPBACK
    public const int HardwareNone = 65534;      // ARPHRD_NONE: tun, WireGuard; packets start at the IP header

    private const string SysClassNet = "/sys/class/net";
    private const int IffUp = 0x1;

    public bool IsLoopback => HardwareType == HardwareLoopback;

    /// <summary>Whether the TC program can parse this interface's packets: Ethernet framing or none (raw IP).</summary>
    public bool HasKnownFraming => HardwareType is HardwareEthernet or HardwareNone;

    public static IReadOnlyList<LinuxNetworkInterface> ReadAll()
    {
        var result = new List<LinuxNetworkInterface>();
        if (!Directory.Exists(SysClassNet)) return result;
        foreach (string directory in Directory.EnumerateDirectories(SysClassNet))
        {
            var found = TryRead(Path.GetFileName(directory));
            if (found is not null) result.Add(found);
        }
        result.Sort((a, b) => a.Index.CompareTo(b.Index));
        return result;
    }

    /// <summary>Null when the interface does not exist (or vanished while being read).</summary>
    public static LinuxNetworkInterface? TryRead(string name)
    {
        if (name.Length == 0 || name.Contains('/') || name is "." or "..") return null;
        string directory = Path.Combine(SysClassNet, name);
        try
        {
            int index = int.Parse(File.ReadAllText(Path.Combine(directory, "ifindex")).Trim(), CultureInfo.InvariantCulture);
            string flagsText = File.ReadAllText(Path.Combine(directory, "flags")).Trim();
            int flags = Convert.ToInt32(flagsText, 16);
            int type = int.Parse(File.ReadAllText(Path.Combine(directory, "type")).Trim(), CultureInfo.InvariantCulture);
            return new LinuxNetworkInterface(name, index, (flags & IffUp) != 0, type);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }
}
