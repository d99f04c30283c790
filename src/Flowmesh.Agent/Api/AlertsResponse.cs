namespace Flowmesh.Agent.Api;

/// <summary>GET /api/v1/alerts: deduplicated alerts whose window overlaps the asked window, most recently seen first.</summary>
internal sealed record AlertsResponse(WindowDocument Window, IReadOnlyList<AlertDocument> Alerts);

internal sealed record AlertDocument(
    string Id,
    string Kind,
    string Subject,
    string Summary,
    bool Confirmed,
    WindowDocument Window,
    IReadOnlyList<EvidenceDocument> Evidence,
    IReadOnlyList<string> Origins,
    IReadOnlyList<string> ContributingOrigins,
    string Coverage,
    IReadOnlyList<string> Caveats,
    string FirstSeen,
    string LastSeen,
    int Evaluations)
{
    /// <summary>The program behind a scan as its PC's records name it ("nmap (pid 4242, user alice) on pc-17"); absent when unknown.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? Program { get; init; }
}

internal sealed record EvidenceDocument(string Name, double Value, double Error, double Lower, double Upper, double Threshold, string Unit, bool Exact);
