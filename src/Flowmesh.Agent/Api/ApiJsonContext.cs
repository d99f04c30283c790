using System.Text.Json.Serialization;

namespace Flowmesh.Agent.Api;

/// <summary>Source-generated JSON for every API shape: no reflection, so the native AOT build serializes them too.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = false)]
[JsonSerializable(typeof(MembersResponse))]
[JsonSerializable(typeof(StatusResponse))]
[JsonSerializable(typeof(RecordsResponse))]
[JsonSerializable(typeof(ApiError))]
[JsonSerializable(typeof(TrafficResponse))]
[JsonSerializable(typeof(TopResponse))]
[JsonSerializable(typeof(MatrixResponse))]
[JsonSerializable(typeof(AlertsResponse))]
[JsonSerializable(typeof(DistinctResponse))]
[JsonSerializable(typeof(SpreadResponse))]
[JsonSerializable(typeof(ContributionsResponse))]
[JsonSerializable(typeof(ZonesResponse))]
[JsonSerializable(typeof(NodeResponse))]
[JsonSerializable(typeof(FlowsResponse))]
[JsonSerializable(typeof(ProgramsResponse))]
[JsonSerializable(typeof(DomainsResponse))]
[JsonSerializable(typeof(RttResponse))]
internal sealed partial class ApiJsonContext : JsonSerializerContext;
