using Flowmesh.Core.Zones;

namespace Flowmesh.Agent.Api;

/// <summary>
/// GET /api/v1/zones?parent=PATH: the zones one level below PATH (the top level without it), each with its origins,
/// how many are alive and reporting, and how old its newest data is (docs/api.md). Here: origins placed exactly at
/// PATH. Unplaced (at the top level only): origins without a record in the window, or whose records name no zone.
/// </summary>
internal sealed record ZonesResponse(WindowDocument Window, string Parent, IReadOnlyList<ZoneDocument> Zones, ZoneDocument? Here, ZoneDocument Unplaced)
{
    public static ZonesResponse From(ZoneCensus census, WindowDocument window) =>
        new(window, census.Parent.Text, [.. census.Zones.Select(ZoneDocument.From)], census.Here is { } here ? ZoneDocument.From(here) : null, ZoneDocument.From(census.Unplaced));
}

/// <summary>Members is empty when the zone has more than 32 origins (the count says how many).</summary>
internal sealed record ZoneDocument(string Zone, int Origins, int Alive, int Reporting, double? NewestAgeSeconds, IReadOnlyList<string> Members)
{
    public static ZoneDocument From(ZoneCount count) =>
        new(count.Zone.Text, count.Origins, count.Alive, count.Reporting, count.NewestDataAge is { } age ? Math.Round(age.TotalSeconds, 3) : null, count.Members);
}
