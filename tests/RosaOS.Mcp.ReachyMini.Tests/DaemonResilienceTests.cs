using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using RosaOS.ReachyMini.Client;
using RosaOS.ReachyMini.Protocol;

namespace RosaOS.Mcp.ReachyMini.Tests;

/// <summary>
/// The daemon's HTTP pipeline (<see cref="DaemonHttp"/>) does what it claims, against a scripted daemon on loopback that
/// answers 503 on demand: a safe call is retried through a passing failure, a move is never sent twice, the emergency
/// stop's calls get one attempt, and <see cref="RobotTarget"/> probes the daemon once for everyone.
/// </summary>
public sealed class DaemonResilienceTests : IAsyncLifetime
{
    private FlakyDaemon _daemon = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _daemon = await FlakyDaemon.StartAsync();

    public async ValueTask DisposeAsync() => await _daemon.DisposeAsync();

    private ReachyDaemonClient Client() => new(new ReachyDaemonClientOptions { BaseAddress = _daemon.BaseAddress });

    [Fact]
    public async Task A_read_that_meets_a_passing_503_is_retried_and_succeeds()
    {
        _daemon.FailNext("/api/move/running", 2);
        using var client = Client();

        var running = await client.GetRunningMovesAsync(Ct);

        Assert.Empty(running);
        Assert.Equal(3, _daemon.Count("/api/move/running"));
    }

    [Fact]
    public async Task A_read_that_keeps_failing_is_reported_after_a_bounded_number_of_attempts()
    {
        _daemon.FailNext("/api/move/running", 100);
        using var client = Client();

        var error = await Assert.ThrowsAsync<ReachyDaemonException>(() => client.GetRunningMovesAsync(Ct));

        Assert.Equal(DaemonFailure.HttpStatus, error.Failure);
        Assert.Equal(503, error.StatusCode);
        Assert.Equal(1 + DaemonHttp.MaxRetries, _daemon.Count("/api/move/running"));
    }

    [Fact]
    public async Task A_move_that_meets_a_503_is_not_sent_again()
    {
        _daemon.FailNext("/api/move/goto", 1);
        using var client = Client();

        var error = await Assert.ThrowsAsync<ReachyDaemonException>(() => client.GotoAsync(new GotoRequest { BodyYaw = 0.1, Duration = 1 }, Ct));

        Assert.Equal(503, error.StatusCode);
        Assert.Equal(1, _daemon.Count("/api/move/goto"));
    }

    [Fact]
    public async Task Calls_of_the_emergency_stop_get_one_attempt_and_fail_at_once()
    {
        _daemon.FailNext("/api/move/running", 1);
        using var client = Client();

        var watch = Stopwatch.StartNew();
        using (DaemonHttp.SingleAttempt())
        {
            await Assert.ThrowsAsync<ReachyDaemonException>(() => client.GetRunningMovesAsync(Ct));
        }
        Assert.Equal(1, _daemon.Count("/api/move/running"));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(1), $"the single attempt took {watch.Elapsed.TotalMilliseconds:0} ms");
        // Outside the scope the same call is retried again.
        Assert.Empty(await client.GetRunningMovesAsync(Ct));
    }

    [Fact]
    public async Task The_factory_client_of_rosa_reachy_has_the_same_retry()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddReachyDaemonHttpClient();
        await using var provider = services.BuildServiceProvider();
        _daemon.FailNext("/api/move/running", 1);
        using var client = new ReachyDaemonClient(provider.GetRequiredService<IHttpClientFactory>().CreateClient(DaemonHttp.ClientName),
            new ReachyDaemonClientOptions { BaseAddress = _daemon.BaseAddress });

        Assert.Empty(await client.GetRunningMovesAsync(Ct));
        Assert.Equal(2, _daemon.Count("/api/move/running"));
    }

    [Fact]
    public async Task Simulator_or_real_robot_is_probed_once_for_every_user()
    {
        using var client = Client();
        using var target = new RobotTarget(client, TimeProvider.System, NullLogger<RobotTarget>.Instance);

        var answers = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => target.GetAsync(Ct)));

        Assert.All(answers, kind => Assert.Equal(RobotKind.Real, kind));
        Assert.Equal(RobotKind.Real, target.Known);
        // The scripted daemon has no /sim routes (404): a real robot, decided by one request.
        Assert.Equal(1, _daemon.Count("/sim/speaker/log"));
    }

    /// <summary>A stand-in daemon on a loopback port Kestrel chose: <c>/api/move/running</c> answers [], anything else 404, after the scripted 503s.</summary>
    private sealed class FlakyDaemon : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly ConcurrentDictionary<string, int> _failures = new();
        private readonly ConcurrentDictionary<string, int> _counts = new();

        private FlakyDaemon(WebApplication app) => _app = app;

        public Uri BaseAddress { get; private set; } = null!;

        public static async Task<FlakyDaemon> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            // Port 0: the kernel picks a free port and the address is read back, so no other test can take it meanwhile.
            builder.WebHost.UseKestrelCore().UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            var app = builder.Build();
            var daemon = new FlakyDaemon(app);
            app.Run(daemon.AnswerAsync);
            await app.StartAsync();
            daemon.BaseAddress = new Uri(app.Urls.First());
            return daemon;
        }

        public void FailNext(string path, int times) => _failures[path] = times;

        public int Count(string path) => _counts.GetValueOrDefault(path);

        private async Task AnswerAsync(HttpContext context)
        {
            var path = context.Request.Path.Value ?? "";
            _counts.AddOrUpdate(path, 1, (_, n) => n + 1);
            var fail = false;
            _failures.AddOrUpdate(path, 0, (_, left) =>
            {
                fail = left > 0;
                return Math.Max(0, left - 1);
            });
            if (fail)
            {
                context.Response.StatusCode = 503;
                await context.Response.WriteAsync("""{"detail":"scripted: busy"}""");
                return;
            }
            if (path == "/api/move/running")
            {
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync("[]");
                return;
            }
            context.Response.StatusCode = 404;
            await context.Response.WriteAsync("""{"detail":"Not Found"}""");
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
