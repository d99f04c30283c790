using System.Net;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using Flowmesh.Agent.Dashboard;
using Flowmesh.Agent.Metrics;

namespace Flowmesh.Agent.Api;

/// <summary>
/// The agent's local JSON API on Kestrel (docs/api.md). Handlers are plain request delegates that parse their query
/// themselves, so every bad request gets a 4xx with a message (the framework's parameter binding would answer some
/// with empty 400s or, in native AOT, need generated code), and JSON is written with source-generated metadata.
/// </summary>
internal sealed class AgentApi : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly MeterPrometheusExposition _metrics;
    private readonly AgentMeter? _ownMeter;

    private AgentApi(WebApplication app, MeterPrometheusExposition metrics, AgentMeter? ownMeter)
    {
        _app = app;
        _metrics = metrics;
        _ownMeter = ownMeter;
    }

    /// <summary>Where the API listens once started (the real port when 0 was asked for).</summary>
    public Uri? BaseAddress { get; private set; }

    /// <summary>Starts listening. Throws <see cref="IOException"/> with a clear message when the address cannot be bound.</summary>
    /// <param name="mapMore">Maps further endpoints (the global view, metrics, the dashboard) before the 404 fallback.</param>
    /// <param name="allowedHosts">Host names answered besides loopback names and IP literals (<see cref="HostCheck"/>), normalized.</param>
    /// <param name="token">Needed for drill-down always, and for every API path when <paramref name="endpoint"/> is not loopback; null: never (tests of other parts).</param>
    /// <param name="meter">The agent's instruments, served at /metrics; null: a meter of this API's own, reading <paramref name="model"/> (tests of other parts).</param>
    public static async Task<AgentApi> StartAsync(IPEndPoint endpoint, IAgentReadModel model, CancellationToken cancellationToken,
        Action<WebApplication>? mapMore = null, IReadOnlyCollection<string>? allowedHosts = null, ApiRefusals? refusals = null, ApiToken? token = null,
        AgentMeter? meter = null)
    {
        AgentMeter? ownMeter = null;
        if (meter is null)
        {
            meter = ownMeter = new AgentMeter();
            meter.ReadFrom(model.Metrics);
        }
        var metrics = new MeterPrometheusExposition(meter.Meter, meter.BeginCollection);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        // The agent prints its own lines; the framework's logs would only repeat them (or leak request details).
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = 0; // every endpoint is a GET
            kestrel.Limits.MaxRequestHeadersTotalSize = 16 * 1024;
            kestrel.Limits.MaxRequestLineSize = 8 * 1024;
            kestrel.Limits.MaxConcurrentConnections = 256;
            kestrel.Listen(endpoint, listen => listen.Protocols = HttpProtocols.Http1);
        });
        var app = builder.Build();
        Map(app, model, metrics, mapMore, allowedHosts ?? [], refusals ?? new ApiRefusals(), token, everywhere: !IPAddress.IsLoopback(endpoint.Address));
        var api = new AgentApi(app, metrics, ownMeter);
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or InvalidOperationException)
        {
            await api.DisposeAsync().ConfigureAwait(false);
            string why = e.InnerException is System.Net.Sockets.SocketException s ? s.Message : e.Message;
            throw new IOException($"cannot serve the API on {endpoint}: {why}", e);
        }
        var address = app.Urls.FirstOrDefault();
        api.BaseAddress = address is null ? null : new Uri(address.Replace("://[::]", "://[::1]", StringComparison.Ordinal).Replace("://0.0.0.0", "://127.0.0.1", StringComparison.Ordinal));
        return api;
    }

    private static readonly string[] Endpoints = ["/api/v1/members", "/api/v1/status", "/api/v1/records", .. ViewEndpoints.Paths, FlowsEndpoint.Path, MetricsEndpoint.Path, "/"];

    private static void Map(WebApplication app, IAgentReadModel model, MeterPrometheusExposition metrics, Action<WebApplication>? mapMore, IReadOnlyCollection<string> allowedHosts, ApiRefusals refusals,
        ApiToken? token, bool everywhere)
    {
        // Before anything else, every path (dashboard and /metrics included): a Host the agent does not answer to is a
        // page elsewhere reaching it through DNS rebinding (HostCheck).
        app.Use((context, next) =>
        {
            string host = context.Request.Host.Host;
            if (HostCheck.Allowed(host, allowedHosts)) return next(context);
            refusals.Count(ApiRefusal.ForeignHost);
            return Error(context, StatusCodes.Status403Forbidden,
                $"Host '{Printable(host)}' is not answered: this API answers localhost and IP addresses only (a defence against DNS rebinding); " +
                $"if you reach this agent by that name, start it with --api-allow-host {Printable(HostCheck.Normalize(host))}");
        });
        // Then the token: drill-down fetches every PC's exact flows, so it needs the token even on loopback (any local
        // user or process can reach loopback); beyond loopback every data path needs it. The dashboard's own files
        // carry no data and load without it (the page sends the token with its API requests).
        if (token is not null)
        {
            app.Use((context, next) =>
            {
                var path = context.Request.Path;
                bool needed = path.StartsWithSegments(FlowsEndpoint.Path)
                    || (everywhere && (path.StartsWithSegments("/api") || path.StartsWithSegments(MetricsEndpoint.Path)));
                if (!needed || token.Matches(context.Request.Headers.Authorization)) return next(context);
                refusals.Count(ApiRefusal.Token);
                context.Response.Headers.WWWAuthenticate = "Bearer";
                return Error(context, StatusCodes.Status401Unauthorized,
                    (context.Request.Headers.Authorization.Count == 0 ? "this needs the agent's API token" : "the API token does not match") +
                    $": send 'Authorization: Bearer TOKEN' with the token from the agent's {ApiToken.FileName} (the flowmesh CLI reads it itself; " +
                    "`flowmesh dashboard` opens the dashboard with it)");
            });
        }
        // A failure inside the agent (a store error while reading) is the agent's trouble, not a bad request and not
        // an unexplained 500: 503 with what went wrong, so a client knows to retry or look at the agent.
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context).ConfigureAwait(false);
            }
            catch (Exception e) when (!context.Response.HasStarted && e is not OperationCanceledException)
            {
                context.Response.Clear();
                await Error(context, StatusCodes.Status503ServiceUnavailable, $"the agent could not answer: {e.GetType().Name}: {Printable(e.Message)}").ConfigureAwait(false);
            }
        });
        app.MapGet("/api/v1/members", context =>
            RejectQuery(context, []) ?? Write(context, StatusCodes.Status200OK, model.Members(), ApiJsonContext.Default.MembersResponse));
        app.MapGet("/api/v1/status", context =>
            RejectQuery(context, []) ?? Write(context, StatusCodes.Status200OK, model.Status(), ApiJsonContext.Default.StatusResponse));
        app.MapGet("/api/v1/records", context =>
        {
            if (RejectQuery(context, RecordsQuery.Parameters) is { } rejected) return rejected;
            var query = RecordsQuery.Parse(context.Request.Query, out string? error);
            if (query is null) return Error(context, StatusCodes.Status400BadRequest, error!);
            return Write(context, StatusCodes.Status200OK, model.Records(query.Origin, query.FromMicros, query.ToMicros, query.Limit), ApiJsonContext.Default.RecordsResponse);
        });
        mapMore?.Invoke(app);
        app.MapMetrics(metrics);
        app.MapDashboard(DashboardAssets.Embedded);
        // Anything else, including a known path with another method (the fallback matches every method).
        app.MapFallback(context =>
        {
            string path = context.Request.Path.Value ?? "/";
            if (Endpoints.Contains(path.Length > 1 ? path.TrimEnd('/') : path, StringComparer.Ordinal))
                return Error(context, StatusCodes.Status405MethodNotAllowed, $"{Printable(context.Request.Method)} is not allowed here; the API is read-only (GET)");
            return Error(context, StatusCodes.Status404NotFound,
                $"no such endpoint: {Printable(path)}; see docs/api.md (GET {string.Join(", ", Endpoints)})");
        });
    }

    /// <summary>Unknown or repeated query parameters are refused: a typo ("orgin=") must not silently widen an answer.</summary>
    internal static Task? RejectQuery(HttpContext context, IReadOnlyCollection<string> allowed)
    {
        foreach (var (key, values) in context.Request.Query)
        {
            if (!allowed.Contains(key))
                return Error(context, StatusCodes.Status400BadRequest,
                    allowed.Count == 0 ? $"unknown query parameter '{Printable(key)}': this endpoint takes none"
                    : $"unknown query parameter '{Printable(key)}'; accepted: {string.Join(", ", allowed)}");
            if (values.Count > 1) return Error(context, StatusCodes.Status400BadRequest, $"query parameter '{key}' is given {values.Count} times");
        }
        return null;
    }

    internal static Task Write<T>(HttpContext context, int status, T value, JsonTypeInfo<T> type)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        return System.Text.Json.JsonSerializer.SerializeAsync(context.Response.Body, value, type, context.RequestAborted);
    }

    internal static Task Error(HttpContext context, int status, string message) =>
        Write(context, status, new ApiError(message), ApiJsonContext.Default.ApiError);

    /// <summary>Echoed request text, cut short and stripped of control characters.</summary>
    internal static string Printable(string text)
    {
        var chars = text.Take(80).Select(c => char.IsControl(c) ? '?' : c).ToArray();
        return new string(chars) + (text.Length > 80 ? "..." : "");
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await _app.StopAsync(cancellationToken).ConfigureAwait(false);

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync().ConfigureAwait(false);
        _metrics.Dispose();
        _ownMeter?.Dispose();
    }
}
