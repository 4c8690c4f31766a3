using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace RosaOS.Hosting;

/// <summary>
/// Which browser requests a rosaOS service accepts, applied to every service built by <see cref="RosaWebHost.CreateBuilder"/>
/// before any endpoint runs (so an endpoint added later is covered without extra work).
/// <list type="bullet">
/// <item>A request whose <c>Origin</c> is neither the service's own origin nor a trusted rosaOS origin is refused (403), whatever
/// its method: the MCP specification requires it for MCP connections, and no browser page of another site has business here.</item>
/// <item>A state-changing request (any method but GET/HEAD/OPTIONS, a WebSocket upgrade, or a GET listed in
/// <see cref="RequestGuardOptions.StateChangingGets"/> such as the kernel's draining <c>GET /updates</c>) with
/// <c>Sec-Fetch-Site: cross-site</c> and no trusted Origin is refused (403).</item>
/// <item>A state-changing request with a body must say <c>Content-Type: application/json</c> (415 otherwise), so that no page can
/// send one as a "simple" request that needs no CORS preflight; a route may accept other types through
/// <see cref="RequestGuardOptions.AllowBody"/> (the simulator's WAV speaker). A POST without a body and without a content type
/// (<c>POST /api/move/play/wake_up</c> as the daemon's clients send it) passes: a browser always sends an Origin with it.</item>
/// </list>
/// Clients that are not browsers (the CLI, workers, MCP clients, the daemon's SDK) send no Origin and keep working unchanged.
/// Before all of that, a service bound beyond loopback requires its <see cref="AccessPolicy">access token</see> from every peer
/// that is not loopback (every API call, WebSocket and MCP connection, /health included): 401 otherwise.
/// </summary>
public sealed partial class RequestGuard(RequestDelegate next, IOptions<RequestGuardOptions> options, AccessPolicy access, ILogger<RequestGuard> logger)
{
    /// <summary>The route listing used by tests and the fuzz harness to enumerate every endpoint of a running service.</summary>
    public const string RoutesPath = "/_rosa/routes";

    private readonly RequestGuardOptions _options = options.Value;

    /// <summary>Checks the request, answering 403/415 itself or passing it on.</summary>
    public async Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        context.Response.Headers.XContentTypeOptions = "nosniff";
        if (access.Enabled)
        {
            if (HttpMethods.IsGet(request.Method) && request.Path.Equals(AccessPolicy.LoginPath, StringComparison.Ordinal))
            {
                await LoginAsync(context);
                return;
            }
            if (access.Requires(context.Connection.RemoteIpAddress) && !access.Accepts(request))
            {
                LogRefused(logger, request.Method, request.Path.Value, "no valid access token from " + context.Connection.RemoteIpAddress);
                context.Response.Headers.WWWAuthenticate = "Bearer realm=\"rosaOS\"";
                await RefuseAsync(context, StatusCodes.Status401Unauthorized,
                    $"this rosaOS service is bound to {access.BindAddress} and needs its access token: send 'Authorization: Bearer <token>' " +
                    $"with the token from {access.TokenPath} on the service's machine, or open the one-time login link that 'rosa up' prints");
                return;
            }
        }
        var origin = request.Headers.Origin.ToString();
        var trustedOrigin = false;
        if (origin.Length > 0)
        {
            if (!IsOwnOrigin(request, origin) && !_options.IsTrusted(origin))
            {
                LogRefused(logger, request.Method, request.Path.Value, "Origin " + origin);
                await RefuseAsync(context, StatusCodes.Status403Forbidden,
                    $"requests from the web page at {origin} are refused: only this service's own pages and the rosaOS services it trusts " +
                    "(ROSAOS_TRUSTED_ORIGINS) may call it");
                return;
            }
            trustedOrigin = true;
        }
        if (IsStateChanging(request))
        {
            if (!trustedOrigin && string.Equals(request.Headers["Sec-Fetch-Site"].ToString(), "cross-site", StringComparison.OrdinalIgnoreCase))
            {
                LogRefused(logger, request.Method, request.Path.Value, "Sec-Fetch-Site: cross-site");
                await RefuseAsync(context, StatusCodes.Status403Forbidden, "cross-site requests are refused (Sec-Fetch-Site: cross-site)");
                return;
            }
            if (HasBody(request) && !AcceptsContentType(request))
            {
                var allowed = _options.AllowedBodies(request.Path.Value ?? "");
                var expected = allowed.Count == 0 ? "application/json" : "application/json or " + string.Join(", ", allowed.Select(a => a + "*"));
                await RefuseAsync(context, StatusCodes.Status415UnsupportedMediaType,
                    $"Content-Type must be {expected} (got {(request.ContentType is { Length: > 0 } type ? "'" + type + "'" : "none")})");
                return;
            }
        }
        else if (HttpMethods.IsGet(request.Method) && request.Path.Equals(RoutesPath, StringComparison.Ordinal))
        {
            await WriteRoutesAsync(context);
            return;
        }
        try
        {
            await next(context);
        }
        catch (Exception ex) when (IsMalformedInput(ex) && !context.Response.HasStarted)
        {
            // Malformed input that an endpoint did not catch itself (a lone UTF-16 surrogate, invalid UTF-8, nesting past the
            // parser's depth, a body cut short) is the caller's error: 400 naming it, never a 500.
            LogMalformed(logger, request.Method, request.Path.Value, ex);
            context.Response.Clear();
            await RefuseAsync(context, ex is BadHttpRequestException bad ? bad.StatusCode
                : IsUnreadableContentType(ex) ? StatusCodes.Status415UnsupportedMediaType : StatusCodes.Status400BadRequest,
                "malformed request: " + ex.Message);
        }
    }

    /// <summary>The one-time login link: a valid unused code sets the HttpOnly token cookie and redirects to the UI; anything else is 401.</summary>
    private async Task LoginAsync(HttpContext context)
    {
        if (!access.RedeemLoginCode(context.Request.Query["code"].ToString()))
        {
            LogRefused(logger, context.Request.Method, AccessPolicy.LoginPath, "unknown, used or expired login code");
            await RefuseAsync(context, StatusCodes.Status401Unauthorized,
                "this login link is unknown, already used or expired (each link works once): run 'rosa up' again for a new one");
            return;
        }
        context.Response.Cookies.Append(AccessPolicy.CookieName, access.ReadToken(), new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Secure = context.Request.IsHttps,
            Path = "/",
            MaxAge = TimeSpan.FromDays(30),
        });
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Redirect("/", permanent: false);
    }

    /// <summary>True for the exceptions that only malformed input raises: JSON syntax and depth, text that is not valid UTF-8/UTF-16, bad HTTP framing.</summary>
    public static bool IsMalformedInput(Exception ex) => ex switch
    {
        JsonException or BadHttpRequestException or System.Text.DecoderFallbackException or FormatException => true,
        // System.Text.Json reports invalid UTF-8/UTF-16 in a string value (GetString, GetValue<string>, writing it back) this way.
        InvalidOperationException or ArgumentException when ThrownBySystemTextJson(ex) => true,
        InvalidOperationException { InnerException: System.Text.DecoderFallbackException or JsonException } => true,
        InvalidOperationException when IsUnreadableContentType(ex) => true,
        _ => false,
    };

    // ReadFromJsonAsync (the MCP SDK's POST handler uses it) refuses a body without a JSON content type this way; the guard
    // lets a POST with no body and no content type through, so it reaches such a handler.
    private static bool IsUnreadableContentType(Exception ex)
        => ex is InvalidOperationException && ex.StackTrace is { } trace
            && trace.TrimStart().StartsWith("at Microsoft.AspNetCore.Http.HttpRequestJsonExtensions.", StringComparison.Ordinal);

    private static bool ThrownBySystemTextJson(Exception ex)
        => ex.StackTrace is { } trace && trace.TrimStart().StartsWith("at System.Text.Json.", StringComparison.Ordinal);

    private bool IsStateChanging(HttpRequest request)
    {
        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method) && !HttpMethods.IsOptions(request.Method))
        {
            return true;
        }
        return request.Headers.Upgrade.ToString().Contains("websocket", StringComparison.OrdinalIgnoreCase)
            || _options.StateChangingGets.Contains(request.Path.Value ?? "");
    }

    private static bool HasBody(HttpRequest request)
        => request.ContentLength > 0 || (request.ContentLength is null && request.Headers.TransferEncoding.Count > 0)
            || request.ContentType is { Length: > 0 };

    private bool AcceptsContentType(HttpRequest request)
    {
        if (request.HasJsonContentType())
        {
            return true;
        }
        var type = request.ContentType;
        if (string.IsNullOrEmpty(type))
        {
            return false;
        }
        return _options.AllowedBodies(request.Path.Value ?? "").Any(prefix => type.StartsWith(prefix, StringComparison.OrdinalIgnoreCase));
    }

    private static bool IsOwnOrigin(HttpRequest request, string origin)
        => string.Equals(origin, $"{request.Scheme}://{request.Host.Value}", StringComparison.OrdinalIgnoreCase);

    private static async Task RefuseAsync(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        // "error" for the kernel's clients, "detail" for the daemon's (FastAPI's error shape).
        await context.Response.WriteAsync(JsonSerializer.Serialize(new Dictionary<string, string> { ["error"] = message, ["detail"] = message },
            HostingJson.Default.DictionaryStringString), context.RequestAborted);
    }

    private static async Task WriteRoutesAsync(HttpContext context)
    {
        var source = context.RequestServices.GetService<EndpointDataSource>();
        // JsonNodes, written with the default options as the dictionaries were: the same bytes, and no reflection-based JSON
        // (which Native AOT refuses).
        var routes = new JsonArray();
        foreach (var endpoint in source?.Endpoints ?? [])
        {
            if (endpoint is not RouteEndpoint route)
            {
                continue;
            }
            var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? [];
            var hosts = endpoint.Metadata.GetMetadata<IHostMetadata>()?.Hosts ?? [];
            routes.Add((JsonNode)new JsonObject
            {
                ["pattern"] = "/" + route.RoutePattern.RawText?.Trim('/'),
                ["methods"] = new JsonArray([.. methods.Select(m => JsonValue.Create(m))]),
                ["hosts"] = new JsonArray([.. hosts.Select(h => JsonValue.Create(h))]),
            });
        }
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(new JsonObject { ["routes"] = routes }.ToJsonString(), context.RequestAborted);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Malformed {Method} {Path} answered 400")]
    private static partial void LogMalformed(ILogger logger, string method, string? path, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused {Method} {Path}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string method, string? path, string reason);
}

/// <summary>What <see cref="RequestGuard"/> lets through beyond its defaults; configure with <c>services.Configure&lt;RequestGuardOptions&gt;</c>.</summary>
public sealed class RequestGuardOptions
{
    /// <summary>Environment variable with more trusted origins (separated by ';', ',' or spaces), e.g. the kernel page's origin for the simulator.</summary>
    public const string TrustedOriginsVariable = "ROSAOS_TRUSTED_ORIGINS";

    private readonly HashSet<string> _trusted = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, List<string>> _bodies = new(StringComparer.Ordinal);

    /// <summary>GET paths that change state (the kernel's draining <c>/updates</c>): refused cross-site like a POST.</summary>
    public HashSet<string> StateChangingGets { get; } = new(StringComparer.Ordinal);

    /// <summary>The trusted origins: the kernel page (RAG_AGENT_URL, or RAG_AGENT_PORT/8765 on loopback) and ROSAOS_TRUSTED_ORIGINS.</summary>
    public IReadOnlyCollection<string> TrustedOrigins => _trusted;

    /// <summary>Trusts the kernel's page and the origins named in the environment.</summary>
    public RequestGuardOptions()
    {
        var kernelUrl = RosaEnvironment.Get("RAG_AGENT_URL");
        if (kernelUrl is not null && Uri.TryCreate(kernelUrl, UriKind.Absolute, out var uri))
        {
            Trust(uri.GetLeftPart(UriPartial.Authority));
        }
        var port = RosaEnvironment.Get("RAG_AGENT_PORT") ?? "8765";
        Trust($"http://127.0.0.1:{port}");
        foreach (var origin in (RosaEnvironment.Get(TrustedOriginsVariable) ?? "").Split([';', ',', ' '], StringSplitOptions.RemoveEmptyEntries))
        {
            Trust(origin);
        }
    }

    /// <summary>Trusts an origin (<c>scheme://host[:port]</c>); a loopback origin is trusted under each loopback name.</summary>
    public void Trust(string origin)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(origin);
        if (!Uri.TryCreate(origin.Trim(), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            throw new ArgumentException($"trusted origin '{origin}' is not an http(s) origin such as http://127.0.0.1:8765", nameof(origin));
        }
        var port = uri.IsDefaultPort ? "" : ":" + uri.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (uri.IsLoopback)
        {
            foreach (var host in new[] { "127.0.0.1", "localhost", "[::1]" })
            {
                _trusted.Add($"{uri.Scheme}://{host}{port}");
            }
        }
        else
        {
            _trusted.Add($"{uri.Scheme}://{uri.Host}{port}");
        }
    }

    /// <summary>True when <paramref name="origin"/> is trusted.</summary>
    public bool IsTrusted(string origin) => _trusted.Contains(origin.TrimEnd('/'));

    /// <summary>Lets <paramref name="path"/> take bodies whose content type starts with one of <paramref name="contentTypePrefixes"/>, besides JSON.</summary>
    public RequestGuardOptions AllowBody(string path, params string[] contentTypePrefixes)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!_bodies.TryGetValue(path, out var list))
        {
            _bodies[path] = list = [];
        }
        list.AddRange(contentTypePrefixes);
        return this;
    }

    /// <summary>The extra content-type prefixes <paramref name="path"/> accepts.</summary>
    public IReadOnlyList<string> AllowedBodies(string path) => _bodies.TryGetValue(path, out var list) ? list : [];
}

/// <summary>Puts <see cref="RequestGuard"/> first in every pipeline built from the host.</summary>
internal sealed class RequestGuardStartupFilter : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.UseMiddleware<RequestGuard>();
        next(app);
    };
}
