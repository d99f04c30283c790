namespace Flowmesh.Capture.HostContext;

/// <summary>Which host-context sources a live capture starts (<c>--host-context</c>; docs/host-context.md). All on by default.</summary>
public sealed record HostContextOptions
{
    /// <summary>The program, user and unit behind each flow.</summary>
    public bool Processes { get; init; } = true;

    /// <summary>TCP RTT and retransmissions from the PC's TCP stack.</summary>
    public bool Tcp { get; init; } = true;

    /// <summary>DNS queries the PC sends, and the name it resolved for each remote address.</summary>
    public bool Dns { get; init; } = true;

    /// <summary>Packets the kernel dropped, with the kernel's reason.</summary>
    public bool Drops { get; init; } = true;

    public static HostContextOptions None { get; } = new() { Processes = false, Tcp = false, Dns = false, Drops = false };

    /// <summary>The names <c>--host-context</c> takes, in order.</summary>
    public static IReadOnlyList<string> Names { get; } = ["process", "tcp", "dns", "drops"];

    public bool AnyEnabled => Processes || Tcp || Dns || Drops;

    /// <summary>Parses "process,tcp,dns,drops" (any subset, comma separated or repeated), "all" or "none".</summary>
    public static HostContextOptions? Parse(IEnumerable<string> values, out string? error)
    {
        var result = None;
        bool any = false;
        foreach (string part in values.SelectMany(v => v.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)))
        {
            any = true;
            switch (part.ToLowerInvariant())
            {
                case "all": result = new HostContextOptions(); break;
                case "none": break;
                case "process": result = result with { Processes = true }; break;
                case "tcp": result = result with { Tcp = true }; break;
                case "dns": result = result with { Dns = true }; break;
                case "drops": result = result with { Drops = true }; break;
                default:
                    error = $"--host-context: '{part}' is not one of all, none, {string.Join(", ", Names)}.";
                    return null;
            }
        }
        error = null;
        return any ? result : new HostContextOptions();
    }

    public override string ToString() =>
        AnyEnabled ? string.Join(',', new[] { Processes, Tcp, Dns, Drops }.Select((on, i) => on ? Names[i] : null).OfType<string>()) : "none";
}
