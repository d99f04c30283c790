namespace Flowmesh.Agent.Hosting;

/// <summary>The agent cannot start as configured; the message says what to change (it never contains a key).</summary>
internal sealed class AgentStartException(string message, Exception? inner = null) : Exception(message, inner);
