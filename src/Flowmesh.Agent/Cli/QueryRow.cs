namespace Flowmesh.Agent.Cli;

/// <summary>
/// One answer of <c>flowmesh query</c>: a key, an estimate and its error bound (absolute, same unit as the
/// estimate), plus answer-specific columns. The JSON and CSV field names are key, unit, estimate, error_bound,
/// then the extra columns' names.
/// </summary>
internal sealed record QueryRow(string Key, string Unit, double Estimate, double ErrorBound)
{
    public IReadOnlyList<QueryColumn> Extra { get; init; } = [];
}

/// <summary>An extra column: a number (JSON number) or a text; <paramref name="TableText"/> overrides how the table shows it, and a column may be left out of the table.</summary>
internal readonly record struct QueryColumn(string Name, double? Number, string? Text = null, string? TableText = null, bool InTable = true);
