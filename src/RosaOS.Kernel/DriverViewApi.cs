using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace RosaOS.Kernel;

/// <summary>
/// Read-only views of a driver for the browser UI, proxied so the page talks only to the kernel (its CSP, one origin, the
/// driver's drivers.json headers added here): <c>GET /api/drivers/{name}/camera.jpg</c> (the driver's <c>/camera/frame.jpg</c>,
/// the head camera of the simulated or real robot) and <c>GET /api/drivers/{name}/light</c> (the Kasa driver's <c>/light</c>).
/// Only GETs of fixed paths: nothing here changes a robot, so leases, approvals and the stop are not involved.
/// </summary>
public static class DriverViewApi
{
    private static readonly HttpClient s_http = new() { Timeout = TimeSpan.FromSeconds(10) };

    /// <summary>Largest answer passed on (a 1280×720 JPEG is about 150 KB).</summary>
    private const int MaxBytes = 8 << 20;

    /// <summary>Maps the routes.</summary>
    public static void Map(IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet("/api/drivers/{name}/camera.jpg", (HttpContext context, string name, DriverRegistry drivers) =>
            ForwardAsync(context, drivers, name, "/camera/frame.jpg", "a camera"));
        app.MapGet("/api/drivers/{name}/light", (HttpContext context, string name, DriverRegistry drivers) =>
            ForwardAsync(context, drivers, name, "/light", "a light"));
    }

    private static async Task<IResult> ForwardAsync(HttpContext context, DriverRegistry drivers, string name, string path, string what)
    {
        if (drivers.Config.Find(name) is not { } entry)
        {
            return KernelApi.Error($"no driver named '{name}'; configured: {string.Join(", ", drivers.All.Select(d => d.Name))}", 404);
        }
        if (!entry.Enabled)
        {
            return KernelApi.Error($"driver '{name}' is disabled ({drivers.Config.DisabledReason(entry)})", 409);
        }
        context.Response.Headers.CacheControl = "no-store";
        try
        {
            using var request = entry.Request(HttpMethod.Get, path);
            using var response = await s_http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted);
            if (response.Content.Headers.ContentLength > MaxBytes)
            {
                return KernelApi.Error($"driver '{name}' answered {response.Content.Headers.ContentLength} bytes for {path}; at most {MaxBytes} are passed on", 502);
            }
            var body = await response.Content.ReadAsByteArrayAsync(context.RequestAborted);
            var type = response.Content.Headers.ContentType?.ToString() ?? "application/octet-stream";
            if (response.StatusCode == System.Net.HttpStatusCode.NotFound)
            {
                return KernelApi.Error($"driver '{name}' has no {what} ({path} answered 404)", 404);
            }
            // The driver's own answer (a JPEG, the light's JSON, or its 503/502 with the reason) passes through as it is.
            return response.IsSuccessStatusCode
                ? Results.Bytes(body, type)
                : Results.Content(System.Text.Encoding.UTF8.GetString(body), type, System.Text.Encoding.UTF8, (int)response.StatusCode);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !context.RequestAborted.IsCancellationRequested)
        {
            return KernelApi.Error($"driver '{name}' did not answer {path}: {e.Message}", 502);
        }
    }
}
