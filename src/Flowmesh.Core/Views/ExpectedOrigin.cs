namespace Flowmesh.Core.Views;

/// <summary>An origin the caller knows of (a cluster member) and its membership state.</summary>
public readonly record struct ExpectedOrigin(string Origin, MemberState State)
{
    /// <summary>Alive, suspect and dead origins are expected to have records; left ones are not.</summary>
    public bool IsExpected => State != MemberState.Left;
}
