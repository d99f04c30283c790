using System.Globalization;
using Flowmesh.IntegrationTests.Infrastructure;

namespace Flowmesh.IntegrationTests.Cluster;

/// <summary>
/// The HTTP API of the agent in one cluster node. Each namespace has its own loopback, so agents listen on their
/// bridge address (10.77.0.i:7947) and the test process, in the root namespace, reaches them over the bridge
/// (10.77.0.254). While a node is cut off that path is gone, so <see cref="Inside"/> asks from within the node's
/// namespace with curl instead (its own address stays reachable there).
/// </summary>
internal sealed class AgentApi
{
    public const int Port = 7947;
    private static readonly HttpClient s_http = CreateClient();

    private static HttpClient CreateClient()
    {
        var http = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
        http.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", ClusterApiToken.Header);
        return http;
    }

    public AgentApi(int node, bool inside = false)
    {
        Node = node;
        Inside = inside;
        BaseUrl = $"http://{ClusterNetwork.Address(node)}:{Port.ToString(CultureInfo.InvariantCulture)}";
    }

    public int Node { get; }

    public bool Inside { get; }

    public string BaseUrl { get; }

    public MembersReply Members() => MembersReply.Parse(Get("/api/v1/members"));

    /// <summary>
    /// Every record the agent holds, or only <paramref name="origin"/>'s. Asks for the API's largest page
    /// (limit=10000); a truncated answer fails rather than passing as a smaller set.
    /// </summary>
    public IReadOnlyDictionary<RecordKey, string> Records(string? origin = null) =>
        RecordListing.Parse(Get(origin is null ? $"/api/v1/records?limit={MaxRecords}" : $"/api/v1/records?origin={Uri.EscapeDataString(origin)}&limit={MaxRecords}"));

    public const int MaxRecords = 10_000;

    public string Status() => Get("/api/v1/status");

    /// <summary>The body of a 2xx answer; anything else throws <see cref="AgentApiException"/>.</summary>
    public string Get(string path)
    {
        string url = BaseUrl + path;
        if (Inside)
        {
            ProcessResult result = ClusterNetwork.RunIn(Node, TimeSpan.FromSeconds(10), "curl", "-fsS", "--max-time", "3", "-H", "Authorization: " + ClusterApiToken.Header, url);
            if (result.ExitCode != 0) throw new AgentApiException($"{url} (from inside {ClusterNetwork.Namespace(Node)}): curl exit {result.ExitCode} {result.StandardError.Trim()}");
            return result.StandardOutput;
        }
        try
        {
            using HttpResponseMessage response = s_http.GetAsync(url).GetAwaiter().GetResult();
            string body = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
            if (!response.IsSuccessStatusCode) throw new AgentApiException($"{url}: HTTP {(int)response.StatusCode} {body}");
            return body;
        }
        catch (HttpRequestException e)
        {
            throw new AgentApiException($"{url}: {e.Message}", e);
        }
        catch (TaskCanceledException e)
        {
            throw new AgentApiException($"{url}: no answer within {s_http.Timeout.TotalSeconds} s", e);
        }
    }
}

/// <summary>The agent did not answer (not up yet, cut off, crashed) or answered with an error.</summary>
internal sealed class AgentApiException : Exception
{
    public AgentApiException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}
