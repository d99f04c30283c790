using System.Text.Json;

namespace Flowmesh.IntegrationTests.Cluster;

/// <summary>One row of GET /api/v1/members: how the answering agent sees one member.</summary>
internal sealed record MemberView(string Name, string Address, string State, long Incarnation, double SinceSeconds)
{
    public bool IsAlive => State == "alive";
}

/// <summary>GET /api/v1/members: the answering agent's name and its view of every member (itself included).</summary>
internal sealed record MembersReply(string Self, IReadOnlyList<MemberView> Members)
{
    public MemberView? Find(string name) => Members.FirstOrDefault(m => m.Name == name);

    /// <summary>The member's state in this view, or "absent".</summary>
    public string StateOf(string name) => Find(name)?.State ?? "absent";

    public static MembersReply Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        JsonElement root = document.RootElement;
        var members = root.GetProperty("members").EnumerateArray().Select(m => new MemberView(
            m.GetProperty("name").GetString() ?? throw new FormatException("member without a name"),
            m.GetProperty("address").GetString() ?? "",
            m.GetProperty("state").GetString() ?? throw new FormatException("member without a state"),
            m.GetProperty("incarnation").GetInt64(),
            m.GetProperty("sinceSeconds").GetDouble())).ToList();
        return new MembersReply(root.GetProperty("self").GetString() ?? "", members);
    }

    public override string ToString() =>
        $"{Self}: " + string.Join(", ", Members.OrderBy(m => m.Name, StringComparer.Ordinal).Select(m => $"{m.Name}={m.State}/{m.Incarnation}"));
}
