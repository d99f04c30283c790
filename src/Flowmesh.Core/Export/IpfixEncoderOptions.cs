namespace Flowmesh.Core.Export;

/// <summary>How <see cref="IpfixEncoder"/> shapes its messages (docs/ipfix.md).</summary>
public sealed record IpfixEncoderOptions
{
    /// <summary>RFC 7011's smallest message that still holds the header, the templates and one IPv6 biflow record.</summary>
    public const int MinMessageBytes = 512;

    /// <summary>
    /// Largest message in bytes (the UDP payload). 1400 fits a 1500-byte Ethernet MTU with IPv6, UDP and a tunnel
    /// header or two to spare, so no message is ever fragmented on the way to the collector.
    /// </summary>
    public int MaxMessageBytes { get; init; } = 1400;

    /// <summary>The observation domain of every message: sequence numbers count per domain (RFC 7011 3.1).</summary>
    public uint ObservationDomainId { get; init; } = 1;

    /// <summary>True: one biflow record per flow (RFC 5103). False: one record per direction that carried traffic.</summary>
    public bool Biflow { get; init; } = true;

    /// <summary>
    /// Templates go out again when this much time passed since they last did (RFC 7011 10.3.6: over UDP a collector
    /// that restarted, or lost the first message, learns them again). Null: only at the start of the session (TCP).
    /// </summary>
    public TimeSpan? TemplateRefreshInterval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// ... or after this many messages, whichever comes first, so a fast export (a capture file read in seconds)
    /// repeats them too. 0: by time only.
    /// </summary>
    public int TemplateRefreshMessages { get; init; } = 64;

    public string? Validate() =>
        MaxMessageBytes is < MinMessageBytes or > ushort.MaxValue ? $"the IPFIX message size must be between {MinMessageBytes} and {ushort.MaxValue} bytes" :
        TemplateRefreshInterval is { } interval && interval <= TimeSpan.Zero ? "the IPFIX template refresh interval must be positive" :
        TemplateRefreshMessages < 0 ? "the IPFIX template refresh message count must not be negative" :
        null;
}
