namespace Flowmesh.Core.Flows;

/// <summary>
/// Community ID flow hashing, version 1 (https://github.com/corelight/community-id-spec): a string
/// such as "1:LQU9qZlK+B5F3KDmev6m5PMibrg=" that two observation points compute identically for one
/// flow, so records from different tools and agents can be matched.
/// </summary>
public static class CommunityId
{
    public static string Compute(FlowRecord record, ushort seed) => throw new NotImplementedException();
}
