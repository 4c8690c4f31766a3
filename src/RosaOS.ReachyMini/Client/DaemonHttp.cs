using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Polly;

namespace RosaOS.ReachyMini.Client;

/// <summary>
/// The one HTTP pipeline for the Reachy Mini daemon (real robot and <c>rosa sim</c>): a pooled
/// <see cref="SocketsHttpHandler"/> behind a retry that repeats only safe calls (GET, HEAD, …) on a transient
/// failure (connection refused or reset, 408, 429, 5xx), twice at most with a short backoff. A POST (a move, a
/// sound, a stop) is never repeated: a lost answer must not start the move twice. No timeout strategy: every
/// call's own deadline (a linked cancellation token) bounds all its attempts together.
/// </summary>
public static class DaemonHttp
{
    /// <summary>The <see cref="IHttpClientFactory"/> name of the daemon's client.</summary>
    public const string ClientName = "reachy-daemon";

    /// <summary>Retries of a safe call after its first attempt.</summary>
    public const int MaxRetries = 2;

    private static readonly AsyncLocal<bool> s_singleAttempt = new();

    /// <summary>
    /// Until disposed, daemon calls made from this async flow are attempted once: the emergency stop must report an
    /// unreachable robot at once rather than after backoff (its caller has its own deadline and retry policy).
    /// </summary>
    public static IDisposable SingleAttempt()
    {
        var previous = s_singleAttempt.Value;
        s_singleAttempt.Value = true;
        return new Restore(previous);
    }

    /// <summary>Registers the named client <see cref="ClientName"/> with the daemon pipeline.</summary>
    public static IHttpClientBuilder AddReachyDaemonHttpClient(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var builder = services.AddHttpClient(ClientName, http => http.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(CreatePrimaryHandler);
        builder.AddResilienceHandler("daemon-retry", pipeline => pipeline.AddRetry(RetryOptions()));
        return builder;
    }

    /// <summary>
    /// The same pipeline without a service container (tests, <c>rosa sim</c>'s own checks): a handler chain to give
    /// to <c>new HttpClient(...)</c>.
    /// </summary>
    public static HttpMessageHandler CreateHandler()
    {
        var pipeline = new ResiliencePipelineBuilder<HttpResponseMessage>().AddRetry(RetryOptions()).Build();
        return new ResilienceHandler(pipeline) { InnerHandler = CreatePrimaryHandler() };
    }

    private static SocketsHttpHandler CreatePrimaryHandler() => new()
    {
        // The daemon may restart (rosa sim, robot reboot): don't keep a dead connection for long.
        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        ConnectTimeout = TimeSpan.FromSeconds(3),
        AutomaticDecompression = DecompressionMethods.None,
    };

    private static HttpRetryStrategyOptions RetryOptions()
    {
        var options = new HttpRetryStrategyOptions
        {
            MaxRetryAttempts = MaxRetries,
            Delay = TimeSpan.FromMilliseconds(100),
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            // A 429's retry-after from a daemon would be odd; never wait longer than the call's own deadline allows anyway.
            MaxDelay = TimeSpan.FromSeconds(1),
        };
        options.DisableForUnsafeHttpMethods();
        var handle = options.ShouldHandle;
        options.ShouldHandle = args => s_singleAttempt.Value ? ValueTask.FromResult(false) : handle(args);
        return options;
    }

    private sealed class Restore(bool previous) : IDisposable
    {
        public void Dispose() => s_singleAttempt.Value = previous;
    }
}
