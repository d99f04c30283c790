using System.Text.Json.Serialization;
using Flowmesh.Gossip.Planning;

namespace Flowmesh.Agent.Cli;

/// <summary>`flowmesh simulate --format json`: snake_case field names, as docs/simulate.md lists them (source-generated for AOT).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true)]
[JsonSerializable(typeof(PlanningResult))]
internal sealed partial class SimulateJsonContext : JsonSerializerContext;
