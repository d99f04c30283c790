using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Flowmesh.Agent.Metrics;

/// <summary>GET /metrics in the Prometheus text format: the agent's meter, collected per scrape.</summary>
internal static class MetricsEndpoint
{
    public const string Path = "/metrics";

    public static void MapMetrics(this IEndpointRouteBuilder app, MeterPrometheusExposition exposition) =>
        app.MapGet(Path, async context =>
        {
            if (context.Request.Query.Count > 0)
            {
                context.Response.StatusCode = StatusCodes.Status400BadRequest;
                await context.Response.WriteAsync("/metrics takes no query parameters\n", context.RequestAborted).ConfigureAwait(false);
                return;
            }
            string text = exposition.Scrape();
            context.Response.ContentType = PrometheusTextWriter.ContentType;
            context.Response.Headers.CacheControl = "no-store";
            await context.Response.WriteAsync(text, context.RequestAborted).ConfigureAwait(false);
        });
}
