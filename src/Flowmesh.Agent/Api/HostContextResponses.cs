namespace Flowmesh.Agent.Api;

/// <summary>
/// GET /api/v1/programs: the programs behind the window's flows, ranked <c>by</c> bytes or distinct destinations.
/// <c>program</c> is "#" and 16 hex digits where origins share names only hashed (<c>hashed</c> true); <c>origin</c> is
/// the origin contributing most, with the process it named (<c>pid</c>, <c>user</c> when shared).
/// </summary>
internal sealed record ProgramsResponse(string By, WindowDocument Window, CoverageDocument Coverage, MeasuredDocument AttributedBytes, double UnlistedBound, IReadOnlyList<ProgramEntry> Entries);

internal sealed record ProgramEntry(string Program, bool Hashed, MeasuredDocument Value, string? Origin, int? Pid, string? User);

/// <summary>A quantile (0.5, 0.9, 0.99) in µs with its bound.</summary>
internal sealed record QuantileEntry(double Q, MeasuredDocument Micros);

/// <summary>
/// GET /api/v1/domains: DNS names the window's PCs looked up, by queries, and the DNS counters: <c>errorRate</c> is
/// (answers other than NOERROR + timeouts) / queries; <c>rcodes</c> maps response codes (15: 15 and above) to answers.
/// </summary>
internal sealed record DomainsResponse(
    WindowDocument Window, CoverageDocument Coverage, double Queries, double Answered, double TimedOut, double ErrorRate,
    IReadOnlyDictionary<string, double> Rcodes, IReadOnlyList<QuantileEntry> LatencyMicros, double UnlistedBound, IReadOnlyList<DomainEntry> Entries);

internal sealed record DomainEntry(string Name, bool Hashed, MeasuredDocument Queries);

/// <summary>GET /api/v1/rtt: TCP RTT quantiles per remote subnet (busiest first), the rest as "other", and all together.</summary>
internal sealed record RttResponse(WindowDocument Window, CoverageDocument Coverage, RttEntry? All, RttEntry? Other, IReadOnlyList<RttEntry> Subnets);

/// <summary>One subnet's RTTs (µs): samples (flows with an RTT, per epoch), exact min and max, quantiles with bounds.</summary>
internal sealed record RttEntry(string? Subnet, double Samples, double MinMicros, double MaxMicros, IReadOnlyList<QuantileEntry> Quantiles);
