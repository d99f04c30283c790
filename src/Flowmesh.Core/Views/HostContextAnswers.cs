using Flowmesh.Core.Epochs;

namespace Flowmesh.Core.Views;

/// <summary>How <see cref="GlobalView.Programs"/> ranks programs.</summary>
public enum ProgramRanking
{
    /// <summary>Bytes of the flows a program had (both directions), Space-Saving bounds.</summary>
    Bytes,

    /// <summary>Distinct remote addresses a program talked to (a scanner ranks first), HyperLogLog bounds.</summary>
    Destinations,
}

/// <summary>
/// One program of a window. <see cref="Program"/> is its name, or "#" and 16 hex digits where the origins share it only
/// hashed. <see cref="Origin"/> is the origin that contributes most to the ranked measure, with the process it named
/// (pid and user where its privacy settings let them out).
/// </summary>
public sealed record ProgramItem(string Program, bool Hashed, Measured Value, string? Origin, int? Pid, string? User);

/// <summary>
/// The programs behind the window's flows (records' extension 6). <see cref="Attributed"/> is the bytes of flows whose
/// program was known and shared; a program not listed has at most <see cref="UnlistedBound"/> (by bytes).
/// </summary>
public sealed record ProgramsAnswer(ProgramRanking By, IReadOnlyList<ProgramItem> Items, Measured Attributed, double UnlistedBound, ViewCoverage Coverage);

/// <summary>One DNS name of a window, with its queries (Space-Saving bounds).</summary>
public sealed record DomainItem(string Name, bool Hashed, Measured Queries);

/// <summary>A quantile with its bounds, in µs.</summary>
public sealed record QuantileItem(double Q, Measured Micros);

/// <summary>
/// The DNS questions of the window (records' extension 7): exact counters, the error rate (answers other than NOERROR
/// and timeouts, over queries), answer latency quantiles, and the most asked names.
/// </summary>
public sealed record DomainsAnswer(
    IReadOnlyList<DomainItem> Items, double Queries, double Answered, double TimedOut, double ErrorRate,
    IReadOnlyDictionary<int, double> ByResponseCode, IReadOnlyList<QuantileItem> Latency, double UnlistedBound, ViewCoverage Coverage);

/// <summary>RTT quantiles of one remote subnet (or "other subnets", <see cref="Subnet"/> null; or all, in <see cref="RttAnswer.All"/>).</summary>
public sealed record RttSubnet(string? Subnet, double Samples, double MinMicros, double MaxMicros, IReadOnlyList<QuantileItem> Quantiles);

/// <summary>TCP RTT quantiles per remote subnet over the window (records' extension 8), busiest subnets first.</summary>
public sealed record RttAnswer(IReadOnlyList<RttSubnet> Subnets, RttSubnet? Other, RttSubnet? All, ViewCoverage Coverage);
