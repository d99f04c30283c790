using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Flowmesh.Agent.Dashboard;

/// <summary>Serves the bundled dashboard at / from memory, with entity tags so a reload costs a 304.</summary>
internal static class DashboardEndpoints
{
    // The page loads only its own files and talks only to this agent: nothing else may run or be framed.
    private const string ContentSecurityPolicy =
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

    public static void MapDashboard(this IEndpointRouteBuilder app, DashboardAssets assets)
    {
        foreach (string name in assets.Names)
        {
            var asset = assets.Find(name)!;
            app.MapGet(name == "index.html" ? "/" : "/" + name, context => Serve(context, asset));
        }
    }

    private static Task Serve(HttpContext context, DashboardAsset asset)
    {
        var headers = context.Response.Headers;
        headers.ETag = asset.ETag;
        headers.CacheControl = "no-cache";
        headers.XContentTypeOptions = "nosniff";
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        if (context.Request.Headers.IfNoneMatch.Contains(asset.ETag))
        {
            context.Response.StatusCode = StatusCodes.Status304NotModified;
            return Task.CompletedTask;
        }
        context.Response.ContentType = asset.ContentType;
        context.Response.ContentLength = asset.Content.Length;
        return context.Response.Body.WriteAsync(asset.Content, context.RequestAborted).AsTask();
    }
}
