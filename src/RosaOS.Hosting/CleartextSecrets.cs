using System.Net;
using Microsoft.Extensions.Logging;

namespace RosaOS.Hosting;

/// <summary>
/// API keys and tokens never go to a plain-http address on another machine without a warning: a key set together with an
/// <c>http://</c> base URL whose host is not loopback is named (never its value) in a warning at start, by the process that sends it.
/// </summary>
public static partial class CleartextSecrets
{
    /// <summary>The warning for <paramref name="secretName"/> sent to <paramref name="url"/>, or null when it is unset, the URL is https,
    /// or the host is loopback.</summary>
    public static string? Warning(string secretName, string? secret, string urlName, string? url)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(secretName);
        if (string.IsNullOrWhiteSpace(secret) || !Uri.TryCreate(url, UriKind.Absolute, out var uri)
            || uri.Scheme != Uri.UriSchemeHttp || IsLoopback(uri))
        {
            return null;
        }
        return $"{secretName} is sent over plain http to {uri.Host}:{uri.Port} ({urlName}={uri}): anyone on the network between can read it. " +
            "Use an https URL (a TLS reverse proxy or a certificate on that server) or a tunnel.";
    }

    /// <summary>The warnings for the (secret variable, base-URL variable) pairs of the environment.</summary>
    public static IReadOnlyList<string> FromEnvironment(params (string Secret, string Url)[] pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        return [.. pairs.Select(p => Warning(p.Secret, RosaEnvironment.Get(p.Secret), p.Url, RosaEnvironment.Get(p.Url))).OfType<string>()];
    }

    /// <summary>Logs each warning.</summary>
    public static void Log(ILogger logger, IEnumerable<string> warnings)
    {
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(warnings);
        foreach (var warning in warnings)
        {
            LogInClear(logger, warning);
        }
    }

    private static bool IsLoopback(Uri uri)
    {
        var host = uri.Host.Trim('[', ']');
        return string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Warning}")]
    private static partial void LogInClear(ILogger logger, string warning);
}
