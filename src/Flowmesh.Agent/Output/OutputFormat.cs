namespace Flowmesh.Agent.Output;

public enum OutputFormat
{
    Table,
    Csv,
    Json,
}
