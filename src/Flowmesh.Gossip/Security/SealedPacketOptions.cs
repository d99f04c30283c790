namespace Flowmesh.Gossip.Security;

/// <summary>Limits the opener enforces. Defaults suit a LAN cluster with NTP-synchronised clocks.</summary>
public sealed record SealedPacketOptions
{
    /// <summary>Largest packet accepted: the largest UDP payload; stream transports frame into chunks of this size.</summary>
    public int MaxPacketLength { get; init; } = 65_507;

    /// <summary>
    /// How far the timestamp of a sender's first packet (one we do not track: new, forgotten, or heard before our
    /// restart) may differ from our clock, either way. Later packets of a tracked sender are judged by their sequence
    /// numbers only, so a PC whose clock is off by hours stays a member (issue 15). A day: clocks off by more need an
    /// operator (the skew alert says so), and it bounds how old a captured packet replayed to a receiver that does not
    /// know its sender can be; once per sender, as its genuine newer packets then count above it.
    /// </summary>
    public TimeSpan ReplayWindow { get; init; } = TimeSpan.FromDays(1);

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
