namespace Flowmesh.Agent.Hosting;

/// <summary>`--profile`: which failure-detection timing the node runs (see MembershipOptions).</summary>
internal enum MembershipProfile
{
    /// <summary>Wired LAN: memberlist's LAN profile.</summary>
    Lan,
    /// <summary>Laptops on Wi-Fi: slower probes, longer suspicion (MembershipOptions.WifiLaptop).</summary>
    Wifi,
}
