using Flowmesh.Core.Export;

namespace Flowmesh.Agent.Export;

/// <summary>The settings every IPFIX exporter of a process shares (docs/ipfix.md).</summary>
internal sealed record IpfixExportOptions
{
    /// <summary>Message layout: size, biflow or not, observation domain, template refresh.</summary>
    public IpfixEncoderOptions Encoder { get; init; } = new();

    /// <summary>
    /// UDP messages per second at most (0: unpaced). 5,000 messages of 1,400 bytes are 7 MB/s, about 100,000 biflows
    /// per second, which nfcapd on one core keeps up with.
    /// </summary>
    public double MessagesPerSecond { get; init; } = 5000;

    /// <summary>Messages sent back to back before pacing applies: well under a default 212,992-byte receive buffer.</summary>
    public int BurstMessages { get; init; } = 32;

    /// <summary>Flows queued for the exporter thread; beyond it flows are dropped (live capture) or the producer waits (files).</summary>
    public int QueueCapacity { get; init; } = 65536;

    /// <summary>True for a capture file: the reader waits for the exporter instead of dropping flows.</summary>
    public bool WaitWhenFull { get; init; }
}
