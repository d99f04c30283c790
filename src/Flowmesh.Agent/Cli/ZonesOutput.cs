using System.Globalization;
using System.Text.Json;
using Flowmesh.Agent.Api;
using Flowmesh.Agent.Output;

namespace Flowmesh.Agent.Cli;

/// <summary>`flowmesh zones` as a table, CSV or the API's JSON document: one row per zone one level below the parent.</summary>
internal static class ZonesOutput
{
    public static void Write(TextWriter output, OutputFormat format, ZonesResponse zones)
    {
        if (format == OutputFormat.Json)
        {
            output.Write(JsonSerializer.Serialize(zones, ApiJsonContext.Default.ZonesResponse));
            output.Write('\n');
            output.Flush();
            return;
        }
        var rows = zones.Zones.Select(z => (Label: z.Zone, Zone: z)).ToList();
        if (zones.Here is { } here) rows.Add(("(here) " + here.Zone, here));
        if (zones.Unplaced.Origins > 0) rows.Add(("(no zone known)", zones.Unplaced));
        if (format == OutputFormat.Csv)
        {
            var csv = new TextTable(["zone", "origins", "alive", "reporting", "newest_age_seconds", "members"]);
            foreach (var (label, z) in rows)
                csv.Add(label, I(z.Origins), I(z.Alive), I(z.Reporting), z.NewestAgeSeconds is { } a ? a.ToString("R", CultureInfo.InvariantCulture) : "", string.Join(' ', z.Members));
            csv.WriteCsv(output);
            output.Flush();
            return;
        }
        var table = new TextTable(["zone", "origins", "alive", "reporting", "newest data", "members"], 1, 2, 3, 4);
        foreach (var (label, z) in rows)
            table.Add(label, I(z.Origins), I(z.Alive), I(z.Reporting), z.NewestAgeSeconds is { } age ? AgeText(age) : "-",
                z.Members.Count > 0 ? string.Join(", ", z.Members) : $"({z.Origins} origins: flowmesh zones --parent {z.Zone})");
        if (rows.Count == 0) output.Write($"no zones below {(zones.Parent.Length == 0 ? "the top" : zones.Parent)} in {zones.Window.From} .. {zones.Window.To}\n");
        else table.WriteAligned(output);
        output.Write($"zones below {(zones.Parent.Length == 0 ? "the top" : zones.Parent)}, by each origin's newest record in {zones.Window.From} .. {zones.Window.To}\n");
        output.Flush();
    }

    private static string AgeText(double seconds) => seconds < 120 ? $"{seconds:0.0} s ago" : $"{seconds / 60:0} min ago";

    private static string I(int value) => value.ToString(CultureInfo.InvariantCulture);
}
