namespace Flowmesh.Core.Views;

/// <summary>
/// How far two monitored PCs' accounts of their shared traffic may differ before the view calls it a dispute
/// (docs/cross-check.md). Each part follows from a capture fact; the defaults are what a LAN of PCs needs.
/// </summary>
public sealed record CrossCheckTolerance
{
    /// <summary>
    /// Packets allowed per epoch boundary of the compared interval: a packet near a boundary is stamped by each end's own
    /// capture (transit time, eBPF ring batching, the clock of each PC), so it may land in the epoch before at one end and
    /// the epoch after at the other. A slot has two boundaries. 64: several milliseconds of a busy flow.
    /// </summary>
    public ulong BoundaryPackets { get; init; } = 64;

    /// <summary>Bytes allowed per epoch boundary, for the same reason: 64 full-size frames plus headroom (96 KiB).</summary>
    public ulong BoundaryBytes { get; init; } = 96 * 1024;

    /// <summary>Share of the larger account allowed on top (5 %): offload and truncation differences between two captures.</summary>
    public double Relative { get; init; } = 0.05;

    /// <summary>
    /// Bytes allowed per frame either end reported lost (kernel drops, undecodable frames, in its records' health): a
    /// lost frame may have been a 64 KiB offloaded segment. Each lost frame also allows one packet.
    /// </summary>
    public ulong BytesPerLostFrame { get; init; } = 65_535;

    public static CrossCheckTolerance Default { get; } = new();

    internal void Validate()
    {
        if (Relative is < 0 or > 1 || double.IsNaN(Relative)) throw new ArgumentOutOfRangeException(nameof(Relative), Relative, "0..1");
    }
}
