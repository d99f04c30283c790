namespace Flowmesh.Core.HostContext;

/// <summary>How far one kind of host-context value (program names, users, DNS names) travels (docs/host-context.md "Privacy").</summary>
public enum SharingMode : byte
{
    /// <summary>In the epoch records as it is: every peer and the global view see it.</summary>
    Shared = 0,

    /// <summary>
    /// In the records only as a hash keyed with the cluster's sketch key: peers can count and compare it ("the same program
    /// on 40 PCs") but someone without the key cannot test guesses against it.
    /// </summary>
    Hashed = 1,

    /// <summary>Not in the records; kept on this PC for drill-down rows only.</summary>
    Local = 2,

    /// <summary>Neither in the records nor in drill-down rows.</summary>
    Off = 3,
}

public static class SharingModeNames
{
    public static string ToText(this SharingMode mode) => mode switch
    {
        SharingMode.Shared => "shared",
        SharingMode.Hashed => "hashed",
        SharingMode.Local => "local",
        SharingMode.Off => "off",
        _ => "unknown",
    };

    public static bool TryParse(string? text, out SharingMode mode)
    {
        mode = text?.Trim().ToLowerInvariant() switch
        {
            "shared" => SharingMode.Shared,
            "hashed" => SharingMode.Hashed,
            "local" => SharingMode.Local,
            "off" => SharingMode.Off,
            _ => (SharingMode)255,
        };
        return mode <= SharingMode.Off;
    }
}
