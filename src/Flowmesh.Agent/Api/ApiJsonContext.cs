using System.Text.Json.Serialization;

namespace Flowmesh.Agent.Api;

/// <summary>Source-generated JSON for every API shape: no reflection, so the native AOT build serializes them too.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = false)]
[JsonSerializable(typeof(MembersResponse))]
[JsonSerializable(typeof(StatusResponse))]
[JsonSerializable(typeof(RecordsResponse))]
[JsonSerializable(typeof(ApiError))]
internal sealed partial class ApiJsonContext : JsonSerializerContext;
