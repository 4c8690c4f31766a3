using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using RosaOS.Simulator.Camera;

namespace RosaOS.Simulator.Api;

/// <summary><c>GET /sim/camera/frame.jpg</c>: what the simulated head camera sees now (simulation-only route).</summary>
internal static class SimCameraEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/sim/camera/frame.jpg", (HttpContext context, SimCamera camera, SimOptions options) =>
        {
            if (options.NoMedia)
            {
                return ApiJson.Detail(503, "No camera: rosa sim runs with --no-media.");
            }
            var quality = 85;
            if (context.Request.Query.TryGetValue("quality", out var value)
                && (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out quality) || quality is < 10 or > 100))
            {
                return ApiJson.Detail(422, "quality must be an integer from 10 to 100.");
            }
            var (jpeg, orientation, failure) = camera.Capture(quality);
            if (jpeg is null)
            {
                return ApiJson.Detail(503, "The simulated camera is unavailable: " + failure);
            }
            context.Response.Headers.CacheControl = "no-store";
            // What the frame was rendered for, so a viewer can tell a stale frame from a fresh one.
            context.Response.Headers["X-Head-Orientation"] = string.Create(CultureInfo.InvariantCulture,
                $"yaw={orientation.Yaw:0.#####}; pitch={orientation.Pitch:0.#####}; roll={orientation.Roll:0.#####}");
            return Results.File(jpeg, "image/jpeg");
        });
    }
}
