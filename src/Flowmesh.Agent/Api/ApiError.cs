namespace Flowmesh.Agent.Api;

/// <summary>The body of every 4xx answer: {"error": "what was wrong and what is accepted"}.</summary>
internal sealed record ApiError(string Error);
