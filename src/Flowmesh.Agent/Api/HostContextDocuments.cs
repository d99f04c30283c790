using System.Globalization;
using Flowmesh.Core.Views;

namespace Flowmesh.Agent.Api;

/// <summary>Turns the view's host-context answers (programs, DNS names, RTT) into the API's documents.</summary>
internal static class HostContextDocuments
{
    public static ProgramsResponse Programs(GlobalView view, ProgramRanking by, int limit)
    {
        var answer = view.Programs(by, limit);
        return new ProgramsResponse(by == ProgramRanking.Bytes ? "bytes" : "destinations", ViewDocuments.Window(view.Window), ViewDocuments.Coverage(answer.Coverage),
            ViewDocuments.Measured(answer.Attributed), answer.UnlistedBound,
            answer.Items.Select(i => new ProgramEntry(i.Program, i.Hashed, ViewDocuments.Measured(i.Value), i.Origin, i.Pid, i.User)).ToList());
    }

    public static DomainsResponse Domains(GlobalView view, int limit)
    {
        var a = view.Domains(limit);
        return new DomainsResponse(ViewDocuments.Window(view.Window), ViewDocuments.Coverage(a.Coverage), a.Queries, a.Answered, a.TimedOut, a.ErrorRate,
            a.ByResponseCode.ToDictionary(c => c.Key.ToString(CultureInfo.InvariantCulture), c => c.Value), Quantiles(a.Latency), a.UnlistedBound,
            a.Items.Select(i => new DomainEntry(i.Name, i.Hashed, ViewDocuments.Measured(i.Queries))).ToList());
    }

    public static RttResponse Rtt(GlobalView view, int limit)
    {
        var a = view.Rtt(limit);
        return new RttResponse(ViewDocuments.Window(view.Window), ViewDocuments.Coverage(a.Coverage), Entry(a.All), Entry(a.Other), a.Subnets.Select(s => Entry(s)!).ToList());
    }

    private static RttEntry? Entry(RttSubnet? s) => s is null ? null : new RttEntry(s.Subnet, s.Samples, s.MinMicros, s.MaxMicros, Quantiles(s.Quantiles));

    private static List<QuantileEntry> Quantiles(IReadOnlyList<QuantileItem> items) => items.Select(q => new QuantileEntry(q.Q, ViewDocuments.Measured(q.Micros))).ToList();
}
