using System.CommandLine;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Flowmesh.Agent.Api;
using Flowmesh.Agent.Hosting;

namespace Flowmesh.Agent.Cli;

/// <summary>
/// How CLI commands (members, and later top/alerts/matrix) ask an agent's API: the local agent by default, another
/// with --agent URL. Every failure becomes one message that says which agent and what to do.
/// </summary>
/// <remarks>
/// The API token (<see cref="ApiToken"/>) goes with every request: from --token-file, or, for this PC's own agent (a
/// loopback URL) only, from its data directory when the file is there and readable (root, or a member of the flowmesh
/// group). Without one the
/// agent still answers on loopback, except drill-down; a 401 then says where the token was looked for.
/// </remarks>
internal sealed class AgentApiClient(Uri baseAddress, TimeSpan timeout, ApiToken? token = null, string? tokenProblem = null)
{
    public static readonly Uri DefaultAgent = new($"http://127.0.0.1:{AgentOptions.DefaultApiPort}/");

    public Uri BaseAddress { get; } = baseAddress;

    /// <summary>The token this client sends, if it found one.</summary>
    public ApiToken? Token { get; } = token;

    /// <summary>The --token-file option every command that asks an agent takes.</summary>
    public static Option<string?> TokenFileOption() => new("--token-file")
    {
        Description = $"The agent's API token file (default: this PC's agent's, <data-dir>/{ApiToken.FileName}, when readable).",
    };

    /// <summary>
    /// A client with the token from <paramref name="tokenFile"/> (null when it cannot be read: <paramref name="error"/>
    /// says why), or, without one, from this PC's default data directory when that file can be read.
    /// </summary>
    public static AgentApiClient? Create(Uri url, TimeSpan timeout, string? tokenFile, out string? error) =>
        Create(url, timeout, tokenFile, AgentOptions.DefaultDataDirectory(Environment.IsPrivilegedProcess, Environment.GetEnvironmentVariable), out error);

    /// <summary>As <see cref="Create(Uri, TimeSpan, string?, out string?)"/>, with this PC's agent's data directory given.</summary>
    internal static AgentApiClient? Create(Uri url, TimeSpan timeout, string? tokenFile, string defaultDataDirectory, out string? error)
    {
        error = null;
        if (tokenFile is not null)
        {
            var token = ApiToken.TryRead(Path.GetFullPath(tokenFile), out error);
            return token is null ? null : new AgentApiClient(url, timeout, token);
        }
        // This PC's token goes only to this PC's agent: sent to another host it would hand that host (or whoever answers
        // for it) the key to this PC's API.
        if (!IsLoopback(url)) return new AgentApiClient(url, timeout, null, $"no token: {url.Host} is another host; pass --token-file with its agent's token");
        string path = Path.Combine(defaultDataDirectory, ApiToken.FileName);
        if (!File.Exists(path)) return new AgentApiClient(url, timeout, null, $"no token: {path} does not exist (pass --token-file)");
        var found = ApiToken.TryRead(path, out string? problem);
        return new AgentApiClient(url, timeout, found, problem);
    }

    private static bool IsLoopback(Uri url) =>
        url.IsLoopback || (System.Net.IPAddress.TryParse(url.Host.Trim('[', ']'), out var address) && System.Net.IPAddress.IsLoopback(address));

    /// <summary>Parses --agent: an http(s) URL, or host:port (http assumed).</summary>
    public static Uri? ParseAgentUrl(string text, out string? error)
    {
        error = null;
        string t = text.Trim();
        if (!t.Contains("://", StringComparison.Ordinal)) t = "http://" + t;
        if (Uri.TryCreate(t, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            && uri.Host.Length > 0 && string.IsNullOrEmpty(uri.Query) && string.IsNullOrEmpty(uri.Fragment))
        {
            return new Uri(uri.GetLeftPart(UriPartial.Path).TrimEnd('/') + "/");
        }
        error = $"--agent '{text}' is not an agent URL such as http://127.0.0.1:{AgentOptions.DefaultApiPort}";
        return null;
    }

    public async Task<(T? Value, string? Error)> GetAsync<T>(string path, JsonTypeInfo<T> type, CancellationToken cancellationToken)
        where T : class
    {
        var url = new Uri(BaseAddress, path);
        using var http = new HttpClient { Timeout = timeout };
        http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (Token is not null) http.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", Token.Header);
        HttpResponseMessage response;
        try
        {
            response = await http.GetAsync(url, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            return (null, $"no agent answers at {BaseAddress} ({e.Message}). Is 'flowmesh agent' running? Ask another with --agent URL.");
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (null, $"the agent at {BaseAddress} did not answer within {timeout.TotalSeconds:0} s.");
        }
        using (response)
        {
            byte[] body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                string? message = TryDecode(body, ApiJsonContext.Default.ApiError)?.Error;
                string hint = response.StatusCode == System.Net.HttpStatusCode.Unauthorized && tokenProblem is not null ? $" ({tokenProblem})" : "";
                return (null, $"the agent at {BaseAddress} answered {(int)response.StatusCode} {response.ReasonPhrase}{(message is null ? "" : ": " + message)}{hint}");
            }
            var value = TryDecode(body, type);
            return value is null
                ? (null, $"the answer from {url} is not what a Flowmesh agent sends (is that URL an agent's API?)")
                : (value, null);
        }
    }

    private static T? TryDecode<T>(byte[] body, JsonTypeInfo<T> type) where T : class
    {
        try
        {
            return JsonSerializer.Deserialize(body, type);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
