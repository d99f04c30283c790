namespace Flowmesh.Gossip.Security;

/// <summary>Limits the opener enforces. Defaults suit a LAN cluster with NTP-synchronised clocks.</summary>
public sealed record SealedPacketOptions
{
    /// <summary>Largest packet accepted: the largest UDP payload; stream transports frame into chunks of this size.</summary>
    public int MaxPacketLength { get; init; } = 65_507;

    /// <summary>
    /// How far a sender's timestamp may differ from the receiver's clock (either way). Bounds how long a
    /// captured packet can be replayed, and thereby how long sequence numbers must be remembered.
    /// </summary>
    public TimeSpan ReplayWindow { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Senders whose recent sequence numbers are remembered; beyond this the least recently heard is forgotten.</summary>
    public int MaxTrackedSenders { get; init; } = 4096;

    internal void Validate()
    {
        if (MaxPacketLength < SealedPacketLayout.MinimumLength)
            throw new ArgumentOutOfRangeException(nameof(MaxPacketLength), $"must be at least {SealedPacketLayout.MinimumLength}");
        if (ReplayWindow <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(ReplayWindow), "must be positive");
        if (MaxTrackedSenders < 1) throw new ArgumentOutOfRangeException(nameof(MaxTrackedSenders), "must be at least 1");
    }
}
