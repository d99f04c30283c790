using System.Globalization;
using System.Text.Json;
using Flowmesh.Agent.Api;
using Flowmesh.Agent.Output;

namespace Flowmesh.Agent.Cli;

/// <summary>
/// Members as a table (self marked, ages for people: "12s", "3m05s"), CSV with a header (ages in seconds), or JSON
/// (exactly the API's document, so scripts can use either).
/// </summary>
internal static class MembersOutput
{
    public static void Write(TextWriter output, OutputFormat format, MembersResponse members)
    {
        // Self first, then by state (trouble before the healthy), then by name: what an operator looks for first.
        var rows = members.Members
            .OrderBy(m => m.Name == members.Self ? 0 : 1)
            .ThenBy(m => StateOrder(m.State))
            .ThenBy(m => m.Name, StringComparer.Ordinal)
            .ToList();
        switch (format)
        {
            case OutputFormat.Json:
                output.Write(JsonSerializer.Serialize(members with { Members = rows }, ApiJsonContext.Default.MembersResponse));
                output.Write('\n');
                break;
            case OutputFormat.Csv:
                var csv = new TextTable(["name", "address", "state", "incarnation", "since_seconds", "self", "clock_offset_seconds"]);
                foreach (var m in rows)
                    csv.Add(m.Name, m.Address, m.State, m.Incarnation.ToString(CultureInfo.InvariantCulture), m.SinceSeconds.ToString("0.###", CultureInfo.InvariantCulture),
                        m.Name == members.Self ? "true" : "false", m.ClockOffsetSeconds?.ToString("0.###", CultureInfo.InvariantCulture) ?? "");
                csv.WriteCsv(output);
                break;
            default:
                WriteTable(output, members.Self, rows);
                break;
        }
        output.Flush();
    }

    private static void WriteTable(TextWriter output, string self, List<MemberEntry> rows)
    {
        var table = new TextTable(["Name", "Address", "State", "Incarnation", "Clock", "Since"], 3, 4);
        foreach (var m in rows)
            table.Add(m.Name == self ? m.Name + " (self)" : m.Name, m.Address, m.State, m.Incarnation.ToString(CultureInfo.InvariantCulture),
                m.ClockOffsetSeconds is { } clock ? ClockText.Seconds(clock) : "-", AgeText.Of(m.SinceSeconds));
        table.WriteAligned(output);
        var counts = rows.GroupBy(m => m.State).OrderBy(g => StateOrder(g.Key)).Select(g => $"{g.Count()} {g.Key}");
        output.Write($"{rows.Count} members: {string.Join(", ", counts)}\n");
        foreach (var m in rows.Where(m => m.ConflictingAddresses.Count > 0))
            output.Write($"name conflict: '{Printable(m.Name)}' ({Printable(m.Address)}) is also claimed from {string.Join(", ", m.ConflictingAddresses.Select(Printable))}; " +
                "those claims are refused, so that agent is not a member: give it another --name\n");
        // The skew alert: one line per member whose clock is far off the cluster's (the median of all members' clocks).
        foreach (var m in rows.Where(m => m.ClockSkewed))
            output.Write($"clock skew: '{Printable(m.Name)}' is {ClockText.Seconds(m.ClockOffsetSeconds ?? 0)} off the cluster's time; " +
                "it stays a member and its records are kept, but fix its time synchronisation (NTP)\n");
    }

    /// <summary>Whatever an agent answers, a terminal never gets a control character from this table.</summary>
    private static string Printable(string text) => new([.. text.Select(c => char.IsControl(c) ? '?' : c)]);

    private static int StateOrder(string state) => state switch { "dead" => 0, "suspect" => 1, "left" => 2, "alive" => 3, _ => 4 };
}
