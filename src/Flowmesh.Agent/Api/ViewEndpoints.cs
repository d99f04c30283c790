using Flowmesh.Agent.ViewSources;
using Flowmesh.Core.Epochs;
using Flowmesh.Core.Views;
using Flowmesh.Core.Zones;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Flowmesh.Agent.Api;

/// <summary>
/// The global view over HTTP (docs/api.md): traffic, top, matrix, alerts, distinct, contributions and node detail.
/// Every answer comes from the <see cref="ViewCache"/>'s shared views; handlers parse their own queries and answer every
/// bad one with a 400 and a message.
/// </summary>
internal static class ViewEndpoints
{
    public static readonly string[] Paths =
        ["/api/v1/traffic", "/api/v1/top", "/api/v1/matrix", "/api/v1/alerts", "/api/v1/distinct", "/api/v1/contributions", "/api/v1/nodes/{name}", "/api/v1/zones",
         "/api/v1/programs", "/api/v1/domains", "/api/v1/rtt"];

    private static readonly string[] TopParameters = [.. ViewQuery.WindowParameters, "by", "measure", "limit", "monitor"];
    private static readonly string[] MatrixParameters = [.. ViewQuery.WindowParameters, "by", "limit"];
    private static readonly string[] ProgramsParameters = [.. ViewQuery.WindowParameters, "by", "limit"];
    private static readonly string[] LimitParameters = [.. ViewQuery.WindowParameters, "limit"];
    private static readonly string[] ZonesParameters = [.. ViewQuery.WindowParameters, "parent"];
    public const int MaxTopLimit = 64;
    public const int MaxMatrixLimit = 1000;

    public static void Map(WebApplication app, ViewCache cache, DetectionRounds detections, ApiRefusals? refusals = null)
    {
        var counted = refusals ?? new ApiRefusals();
        app.MapGet("/api/v1/traffic", context =>
            WithView(context, cache, counted, ViewQuery.WindowParameters, view => AgentApi.Write(context, 200, ViewDocuments.Traffic(view), ApiJsonContext.Default.TrafficResponse)));

        app.MapGet("/api/v1/top", context =>
        {
            var q = context.Request.Query;
            if (AgentApi.RejectQuery(context, TopParameters) is { } rejected) return rejected;
            string by = q["by"].ToString() is { Length: > 0 } b ? b : TopKindNames.Name(TopKind.Talkers);
            if (!TopKindNames.TryParse(by, out var kind)) return BadRequest(context, $"by='{AgentApi.Printable(by)}' is not one of {string.Join(", ", TopKindNames.All)}");
            string measureText = q["measure"].ToString() is { Length: > 0 } m ? m : "bytes";
            TrafficMeasure? measure = measureText switch { "bytes" => TrafficMeasure.Bytes, "packets" => TrafficMeasure.Packets, _ => null };
            if (measure is null) return BadRequest(context, $"measure='{AgentApi.Printable(measureText)}' is not bytes or packets");
            if (ViewQuery.Limit(q, 10, MaxTopLimit, out string? limitError) is not { } limit) return BadRequest(context, limitError!);
            // Flowmesh's own traffic is included by default (it is traffic like any other); monitor=exclude leaves it out.
            string monitorText = q["monitor"].ToString() is { Length: > 0 } mt ? mt : "include";
            bool? exclude = monitorText switch { "include" => false, "exclude" => true, _ => null };
            if (exclude is null) return BadRequest(context, $"monitor='{AgentApi.Printable(monitorText)}' is not include or exclude");
            if (exclude.Value && kind is TopKind.Flows or TopKind.Ports)
                return BadRequest(context, "monitor=exclude applies to talkers, destinations and pairs only");
            return WithView(context, cache, counted, null, view =>
                AgentApi.Write(context, 200, ViewDocuments.Top(view, kind, measure.Value, limit, exclude.Value), ApiJsonContext.Default.TopResponse));
        });

        app.MapGet("/api/v1/programs", context =>
        {
            var q = context.Request.Query;
            if (AgentApi.RejectQuery(context, ProgramsParameters) is { } rejected) return rejected;
            string by = q["by"].ToString() is { Length: > 0 } b ? b : "bytes";
            ProgramRanking? ranking = by switch { "bytes" => ProgramRanking.Bytes, "destinations" => ProgramRanking.Destinations, _ => null };
            if (ranking is null) return BadRequest(context, $"by='{AgentApi.Printable(by)}' is not bytes or destinations");
            if (ViewQuery.Limit(q, 10, MaxTopLimit, out string? limitError) is not { } limit) return BadRequest(context, limitError!);
            return WithView(context, cache, counted, null, view =>
                AgentApi.Write(context, 200, HostContextDocuments.Programs(view, ranking.Value, limit), ApiJsonContext.Default.ProgramsResponse));
        });

        app.MapGet("/api/v1/domains", context =>
        {
            if (AgentApi.RejectQuery(context, LimitParameters) is { } rejected) return rejected;
            if (ViewQuery.Limit(context.Request.Query, 10, MaxTopLimit, out string? limitError) is not { } limit) return BadRequest(context, limitError!);
            return WithView(context, cache, counted, null, view =>
                AgentApi.Write(context, 200, HostContextDocuments.Domains(view, limit), ApiJsonContext.Default.DomainsResponse));
        });

        app.MapGet("/api/v1/rtt", context =>
        {
            if (AgentApi.RejectQuery(context, LimitParameters) is { } rejected) return rejected;
            if (ViewQuery.Limit(context.Request.Query, 16, MaxTopLimit, out string? limitError) is not { } limit) return BadRequest(context, limitError!);
            return WithView(context, cache, counted, null, view =>
                AgentApi.Write(context, 200, HostContextDocuments.Rtt(view, limit), ApiJsonContext.Default.RttResponse));
        });

        app.MapGet("/api/v1/matrix", context =>
        {
            var q = context.Request.Query;
            if (AgentApi.RejectQuery(context, MatrixParameters) is { } rejected) return rejected;
            string by = q["by"].ToString() is { Length: > 0 } b ? b : "subnet/24";
            if (!TryMatrixPrefixes(by, out int v4, out int v6))
                return BadRequest(context, $"by='{AgentApi.Printable(by)}' is not host or subnet/N (N from 1 to 32, e.g. subnet/24; IPv6 blocks are /64)");
            if (ViewQuery.Limit(q, 50, MaxMatrixLimit, out string? limitError) is not { } limit) return BadRequest(context, limitError!);
            return WithView(context, cache, counted, null, view =>
                AgentApi.Write(context, 200, ViewDocuments.Matrix(view, by, v4, v6, limit), ApiJsonContext.Default.MatrixResponse));
        });

        app.MapGet("/api/v1/alerts", context =>
        {
            if (AgentApi.RejectQuery(context, ViewQuery.WindowParameters) is { } rejected) return rejected;
            var query = ViewQuery.Parse(context.Request.Query, out string? error);
            if (query is null) return BadRequest(context, error!);
            detections.EvaluateIfDue();
            var window = query.Explicit ?? ViewWindow.Last(query.Length!.Value, cache.Source.NowMicros, cache.ViewOptions.EpochLength);
            var alerts = detections.Overlapping(window.FromMicros, window.ToMicros).Select(ViewDocuments.Alert).ToList();
            return AgentApi.Write(context, 200, new AlertsResponse(ViewDocuments.Window(window), alerts), ApiJsonContext.Default.AlertsResponse);
        });

        app.MapGet("/api/v1/distinct", context =>
            WithView(context, cache, counted, ViewQuery.WindowParameters, view => AgentApi.Write(context, 200, ViewDocuments.Distinct(view), ApiJsonContext.Default.DistinctResponse)));

        app.MapGet("/api/v1/contributions", context =>
            WithView(context, cache, counted, ViewQuery.WindowParameters, view => AgentApi.Write(context, 200, ViewDocuments.Contributions(view), ApiJsonContext.Default.ContributionsResponse)));

        app.MapGet("/api/v1/zones", context =>
        {
            if (AgentApi.RejectQuery(context, ZonesParameters) is { } rejected) return rejected;
            string parentText = context.Request.Query["parent"].ToString();
            if (!ZonePath.TryParse(parentText, out var parent, out string? zoneError))
                return BadRequest(context, $"parent: {AgentApi.Printable(zoneError!)}");
            return WithView(context, cache, counted, null, view =>
                AgentApi.Write(context, 200, ZonesResponse.From(ZoneCensus.Of(view, parent), ViewDocuments.Window(view.Window)), ApiJsonContext.Default.ZonesResponse));
        });

        app.MapGet("/api/v1/nodes/{name}", context =>
        {
            string name = context.GetRouteValue("name") as string ?? "";
            return WithView(context, cache, counted, ViewQuery.WindowParameters, view =>
            {
                var origin = view.Contributions().Origins.FirstOrDefault(o => string.Equals(o.Origin, name, StringComparison.Ordinal));
                if (origin is null)
                    return AgentApi.Error(context, StatusCodes.Status404NotFound, $"no node named '{AgentApi.Printable(name)}' is a member or has records in this window");
                var node = ViewDocuments.Node(origin);
                return AgentApi.Write(context, 200, new NodeResponse(node.Name, node.State, ViewDocuments.Window(view.Window), node), ApiJsonContext.Default.NodeResponse);
            });
        });
    }

    /// <summary>"host" is /32 and /128; "subnet/N" is IPv4 /N with IPv6 /64 blocks.</summary>
    internal static bool TryMatrixPrefixes(string by, out int ipv4Prefix, out int ipv6Prefix)
    {
        (ipv4Prefix, ipv6Prefix) = (0, 0);
        if (by == "host")
        {
            (ipv4Prefix, ipv6Prefix) = (32, 128);
            return true;
        }
        if (by.StartsWith("subnet/", StringComparison.Ordinal)
            && int.TryParse(by.AsSpan(7), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int n) && n is >= 1 and <= 32)
        {
            (ipv4Prefix, ipv6Prefix) = (n, n == 32 ? 128 : 64);
            return true;
        }
        return false;
    }

    private static Task WithView(HttpContext context, ViewCache cache, ApiRefusals refusals, IReadOnlyCollection<string>? allowed, Func<GlobalView, Task> answer)
    {
        if (allowed is not null && AgentApi.RejectQuery(context, allowed) is { } rejected) return rejected;
        var query = ViewQuery.Parse(context.Request.Query, out string? error);
        if (query is null) return BadRequest(context, error!);
        var view = query.Explicit is { } w ? cache.TryBetween(w, cache.ApiBuildWait) : cache.TryLast(query.Length!.Value, cache.ApiBuildWait);
        if (view is null)
        {
            refusals.Count(ApiRefusal.ViewBusy);
            context.Response.Headers.RetryAfter = "2";
            return AgentApi.Error(context, StatusCodes.Status429TooManyRequests,
                $"the agent is busy building other views (at most {cache.MaxConcurrentBuilds} at once); try again in a few seconds, or ask for a window already shown");
        }
        return answer(view);
    }

    private static Task BadRequest(HttpContext context, string message) => AgentApi.Error(context, StatusCodes.Status400BadRequest, message);
}
