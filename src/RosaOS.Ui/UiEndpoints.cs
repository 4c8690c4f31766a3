using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using RosaOS.Hosting;

namespace RosaOS.Ui;

/// <summary>Serves the browser UI (one page, plain HTML/CSS/JS embedded in this assembly) from the kernel.</summary>
public static class UiEndpoints
{
    private static readonly Dictionary<string, string> s_contentTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".svg"] = "image/svg+xml",
    };

    /// <summary>The daemon URL the page shows the robot from: ROSA_DAEMON_URL (set by <c>rosa up</c>), else the simulator's default.</summary>
    public static string DaemonUrl => RosaEnvironment.Get("ROSA_DAEMON_URL")?.TrimEnd('/') ?? "http://127.0.0.1:8000";

    /// <summary>The simulated ROS robots (`rosa rossim`) whose map and camera the page shows: ROSA_ROSSIM_URLS, space-separated (set by <c>rosa up</c>).</summary>
    public static IReadOnlyList<string> RosSimUrls => (RosaEnvironment.Get("ROSA_ROSSIM_URLS") ?? "")
        .Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .Where(u => Uri.TryCreate(u, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https")
        .Select(u => u.TrimEnd('/')).ToList();

    /// <summary>Maps <c>GET /</c> (the page), <c>GET /ui/{file}</c> (its scripts and styles) and <c>GET /ui/config.json</c>.</summary>
    public static IEndpointRouteBuilder MapRosaUi(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapGet("/", (HttpContext context) => Protected(context, Asset("index.html")));
        endpoints.MapGet("/ui/config.json", (HttpContext context) => Protected(context, Results.Json(new Dictionary<string, object> { ["daemon_url"] = DaemonUrl, ["rossim_urls"] = RosSimUrls })));
        endpoints.MapGet("/ui/{file}", (HttpContext context, string file) => Protected(context, Asset(file)));
        return endpoints;
    }

    /// <summary>
    /// The page's Content-Security-Policy: its own scripts and styles only (no inline code, no eval), data only from the kernel, the
    /// robot daemon it draws (images and the state WebSocket) and the simulated ROS robots of ROSA_ROSSIM_URLS, and no framing by any page (clickjacking the stop button).
    /// </summary>
    public static string ContentSecurityPolicy
    {
        get
        {
            var daemon = Uri.TryCreate(DaemonUrl, UriKind.Absolute, out var uri) ? uri.GetLeftPart(UriPartial.Authority) : "";
            var daemonWs = daemon.Length == 0 ? "" : (uri!.Scheme == "https" ? "wss" : "ws") + daemon[uri.Scheme.Length..];
            // The simulated ROS robots' maps (GET /api/state) and cameras (GET /api/camera.jpg) come from their own ports.
            var rossims = string.Join(" ", RosSimUrls.Select(u => new Uri(u).GetLeftPart(UriPartial.Authority)));
            return $"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob: {daemon} {rossims}; " +
                $"connect-src 'self' {daemon} {daemonWs} {rossims}; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
        }
    }

    private static IResult Protected(HttpContext context, IResult result)
    {
        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
        return result;
    }

    private static IResult Asset(string file)
    {
        // Only names embedded at build time resolve, so no path from the request ever reaches the file system.
        var stream = typeof(UiEndpoints).Assembly.GetManifestResourceStream("ui/" + file);
        if (stream is null || !s_contentTypes.TryGetValue(Path.GetExtension(file), out var contentType))
        {
            stream?.Dispose();
            return Results.NotFound(new { error = $"no UI file named {file}" });
        }
        return Results.Stream(stream, contentType);
    }

    /// <summary>Names of the embedded UI files (for tests and diagnostics).</summary>
    public static IEnumerable<string> Files => typeof(UiEndpoints).Assembly.GetManifestResourceNames()
        .Where(n => n.StartsWith("ui/", StringComparison.Ordinal)).Select(n => n[3..]);

    internal static Assembly Assembly => typeof(UiEndpoints).Assembly;
}
