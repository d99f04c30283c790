namespace Flowmesh.Agent.Storage;

/// <summary>
/// The members saved last, so a restarted agent can rejoin its old peers without <c>--join</c>.
/// <see cref="SkippedRows"/> counts saved rows that no longer decode (they are left out, never fatal).
/// </summary>
public sealed record MembershipSnapshot(DateTimeOffset SavedAt, IReadOnlyList<PersistedMember> Members, int SkippedRows);
