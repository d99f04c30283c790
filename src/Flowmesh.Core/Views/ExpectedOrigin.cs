namespace Flowmesh.Core.Views;

/// <summary>An origin the caller knows of (a cluster member) and its membership state.</summary>
public readonly record struct ExpectedOrigin(string Origin, OriginLiveness State)
{
    /// <summary>
    /// When the origin began to be expected (its first record's start, or when it joined); epochs before it are not gaps.
    /// Null: expected for the whole window.
    /// </summary>
    public long? SinceMicros { get; init; }

    /// <summary>Alive, suspect and dead origins are expected to have records; left ones are not.</summary>
    public bool IsExpected => State != OriginLiveness.Left;
}
