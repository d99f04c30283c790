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
    int Evaluations);

internal sealed record EvidenceDocument(string Name, double Value, double Error, double Lower, double Upper, double Threshold, string Unit, bool Exact);
