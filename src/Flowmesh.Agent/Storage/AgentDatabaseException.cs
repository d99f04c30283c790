namespace Flowmesh.Agent.Storage;

/// <summary>
/// The database file cannot be used as it is: not a database, damaged, written by a newer flowmesh, or in use by
/// another agent. The message names the file and what to do; the file is never modified or deleted to "recover".
/// </summary>
public sealed class AgentDatabaseException : Exception
{
    public AgentDatabaseException(string message) : base(message) { }

    public AgentDatabaseException(string message, Exception inner) : base(message, inner) { }
}
