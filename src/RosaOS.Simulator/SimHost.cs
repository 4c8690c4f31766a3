using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RosaOS.Hosting;
using RosaOS.Simulator.Api;
using RosaOS.Simulator.Audio;
using RosaOS.Simulator.Camera;
using RosaOS.Simulator.Datasets;
using RosaOS.Simulator.Robot;

namespace RosaOS.Simulator;

/// <summary>Builds and runs the simulated daemon: the robot core, its services and every route group.</summary>
public static partial class SimHost
{
    /// <summary>Builds the web application (not started).</summary>
    public static WebApplication Build(SimOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var hubSettings = HubSettings.FromEnvironment();
        var builder = RosaWebHost.CreateBuilder("sim", options.Host, options.Port,
            options.Host is "127.0.0.1" or "localhost" or "::1" ? null : "*");
        // Audio uploads go up to 50 MB; JSON routes enforce their own 1 MiB cap.
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = SimSpeakerEndpoints.MaxWavBytes + (1 << 20));
        // The virtual speaker takes a WAV body (the one non-JSON body of the simulator's own routes).
        builder.Services.Configure<RequestGuardOptions>(o => o.AllowBody("/sim/speaker", "audio/", "application/octet-stream"));
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<DaemonSounds>();
        builder.Services.AddSingleton<VirtualSpeaker>();
        builder.Services.AddSingleton<VirtualMicrophone>();
        builder.Services.AddSingleton<ISoundPlayer>(sp => sp.GetRequiredService<VirtualSpeaker>());
        builder.Services.AddSingleton<RobotCore>();
        builder.Services.AddSingleton<SimCamera>();
        builder.Services.AddSingleton<DaemonService>();
        builder.Services.AddSingleton<MoveTasks>();
        HubClient.AddHubClient(builder.Services, hubSettings);
        builder.Services.AddSingleton<DatasetCatalog>();
        builder.Services.AddSingleton(sp => new SdkHub(
            sp.GetRequiredService<RobotCore>(), sp.GetRequiredService<DaemonService>(), sp.GetRequiredService<DatasetCatalog>(),
            sp.GetRequiredService<ILogger<SdkHub>>()));
        builder.Services.AddHostedService(sp => sp.GetRequiredService<SdkHub>());

        var app = builder.Build();
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(20) });
        app.MapRosaHealth(context =>
        {
            var daemon = context.RequestServices.GetRequiredService<DaemonService>();
            return new System.Text.Json.Nodes.JsonObject { ["daemon_state"] = daemon.Status().State.ToString().ToLowerInvariant() };
        });
        app.MapGet("/", () => Results.Content(
            "<html><body><h1>rosaOS simulated Reachy Mini</h1><p>The daemon API is under /api; see docs/simulator.md.</p></body></html>",
            "text/html"));
        DaemonEndpoints.Map(app);
        StateEndpoints.Map(app);
        MoveEndpoints.Map(app);
        WebSocketEndpoints.Map(app);
        SimSpeakerEndpoints.Map(app);
        SimCameraEndpoints.Map(app);
        SimMicrophoneEndpoints.Map(app);
        SimHandEndpoints.Map(app);
        return app;
    }

    /// <summary>Runs until Ctrl-C/SIGTERM; returns the process exit code.</summary>
    public static async Task<int> RunAsync(SimOptions options, CancellationToken cancellationToken)
    {
        WebApplication app;
        try
        {
            app = Build(options);
        }
        catch (ArgumentException ex)
        {
            await Console.Error.WriteLineAsync($"rosa sim: {ex.Message}");
            return 2;
        }
        await using (app)
        {
            var logger = app.Services.GetRequiredService<ILogger<SimOptions>>();
            var robot = app.Services.GetRequiredService<RobotCore>();
            var daemon = app.Services.GetRequiredService<DaemonService>();
            app.Services.GetRequiredService<DaemonSounds>().Describe();
            var catalog = app.Services.GetRequiredService<DatasetCatalog>();
            catalog.Describe();
            // The daemon preloads its emotions at start; so does the simulator when there is no local copy.
            catalog.Preload(DatasetCatalog.EmotionsDataset);
            var lifetime = app.Services.GetRequiredService<IHostApplicationLifetime>();
            // Own the termination signals: without a handler that cancels the default action, SIGTERM can end
            // the process mid-shutdown (exit 143) depending on which other handler returns first.
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
            {
                context.Cancel = true;
                lifetime.StopApplication();
            });
            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, context =>
            {
                context.Cancel = true;
                lifetime.StopApplication();
            });
            robot.Start();
            try
            {
                await app.StartAsync(cancellationToken);
            }
            catch (IOException ex)
            {
                LogBindFailed(logger, options.Host, options.Port, ex.Message);
                robot.Dispose();
                return 1;
            }
            var urls = string.Join(", ", app.Urls);
            LogListening(logger, urls);
            if (options.Autostart)
            {
                daemon.Start(options.WakeUpOnStart);
            }
            try
            {
                await Task.Delay(Timeout.Infinite, CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lifetime.ApplicationStopping).Token);
            }
            catch (OperationCanceledException)
            {
            }
            using (var grace = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
            {
                try
                {
                    await daemon.ShutdownAsync(options.GotoSleepOnStop, grace.Token);
                }
                catch (OperationCanceledException)
                {
                }
            }
            await app.StopAsync(CancellationToken.None);
            robot.Dispose();
            LogStopped(logger);
            return 0;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "rosa sim listening on {Urls} (simulated Reachy Mini daemon, mockup-sim).")]
    private static partial void LogListening(ILogger logger, string urls);

    [LoggerMessage(Level = LogLevel.Error, Message = "rosa sim cannot listen on {Host}:{Port}: {Reason}")]
    private static partial void LogBindFailed(ILogger logger, string host, int port, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "rosa sim stopped.")]
    private static partial void LogStopped(ILogger logger);
}
