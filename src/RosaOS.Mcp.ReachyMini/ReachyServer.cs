using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ModelContextProtocol.Protocol;
using RosaOS.EmergencyStop;
using RosaOS.Hosting;
using RosaOS.Hosting.Watches;
using RosaOS.Mcp.Arguments;
using RosaOS.Mcp.ReachyMini.Motion;
using RosaOS.Mcp.ReachyMini.Speech;
using RosaOS.Mcp.ReachyMini.Vision;
using RosaOS.Mcp.ReachyMini.Watches;
using RosaOS.ReachyMini.Client;
using RosaOS.Speech;

namespace RosaOS.Mcp.ReachyMini;

/// <summary>Hosts the Reachy Mini MCP server over streamable HTTP (stateless, at /mcp) or stdio.</summary>
public static partial class ReachyServer
{
    /// <summary>The services the tool groups use: daemon client, motion controller, speech queue, emergency stop.</summary>
    public static IServiceCollection AddReachyServices(this IServiceCollection services, ReachyServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        services.AddSingleton(options);
        services.AddReachyDaemonHttpClient();
        services.AddHttpClient(KernelSpansClient);
        services.AddSingleton(sp => new ReachyDaemonClient(sp.GetRequiredService<IHttpClientFactory>().CreateClient(DaemonHttp.ClientName),
            new ReachyDaemonClientOptions { BaseAddress = options.Daemon }, sp.GetRequiredService<ILogger<ReachyDaemonClient>>()));
        services.AddSingleton<IReachyDaemon>(sp => sp.GetRequiredService<ReachyDaemonClient>());
        // Simulator or real robot: probed once, here, at start; the speaker, camera and microphone read the answer.
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<RobotTarget>();
        services.AddHostedService(sp => sp.GetRequiredService<RobotTarget>());
        services.AddSingleton<MotionController>();
        services.AddEmergencyStop<ReachyStopEffects>(options.Name);
        services.AddReachySpeech(options);
        services.AddReachyVision();
        services.AddSpeechInput(options);
        // Head touches (the head-pat reaction and head_touched watches) and the watches of issue 16.
        services.AddSingleton<HeadTouchDetector>();
        services.AddSingleton<ReachyWatches>();
        return services;
    }

    /// <summary>Turn spans to the kernel: best effort, one attempt (a lost span is not worth delaying the next turn).</summary>
    private const string KernelSpansClient = "kernel-spans";

    private static Implementation ServerInfo => new() { Name = "rosa-reachy", Title = "Reachy Mini Robot", Version = RosaWebHost.Version };

    /// <summary>Runs until cancelled (Ctrl-C / SIGTERM).</summary>
    public static async Task<int> RunAsync(ReachyServerOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return options.Stdio ? await RunStdioAsync(options, cancellationToken) : await RunHttpAsync(options, cancellationToken);
    }

    private static async Task<int> RunHttpAsync(ReachyServerOptions options, CancellationToken cancellationToken)
    {
        var builder = RosaWebHost.CreateBuilder("reachy", options.Bind, options.Port);
        builder.Services.AddReachyServices(options);
        // Touch detection runs beside the HTTP server that `rosa up` starts (a stdio copy beside it would react twice).
        builder.Services.AddHostedService(sp => sp.GetRequiredService<HeadTouchDetector>());
        builder.Services.AddMcpServer(o => o.ServerInfo = ServerInfo)
            // Stateless like the original: any worker process can call any tool without a session.
            .WithHttpTransport(o => o.Stateless = true)
            .WithReachyTools()
            .WithEmergencyStop()
            .WithLease(options.Name)
            .WithToolArgumentBinding()
            .WithApprovals(options);
        await using var app = builder.Build();
        if (ApprovalSetup.UnknownTools(app.Services, options.Name, options.Approval) is { } unknown)
        {
            await Console.Error.WriteLineAsync($"rosa reachy: {unknown}");
            return 2;
        }
        app.UseHostFiltering();
        app.MapRosaHealth(context => new System.Text.Json.Nodes.JsonObject
        {
            ["daemon"] = options.Daemon.ToString(),
            ["tools"] = ReachyToolGroups.All.Count,
            ["estop"] = System.Text.Json.JsonSerializer.SerializeToNode(context.RequestServices.GetRequiredService<EmergencyStopLatch>().State, EstopJson.Default.EstopState),
            ["speech_input"] = context.RequestServices.GetService<SpeechInputService>()?.Status is { } hearing
                ? System.Text.Json.JsonSerializer.SerializeToNode(hearing, RosaOS.Speech.Input.SpeechJson.Default.SpeechLoopStatus)
                : null,
            ["head_touch"] = context.RequestServices.GetRequiredService<HeadTouchDetector>().Status.ToJson(),
        });
        app.MapMcp("/mcp");
        app.MapCameraFrame();
        app.MapEmergencyStop();
        app.MapLease();
        app.MapApprovals();
        var watches = app.Services.GetRequiredService<ReachyWatches>();
        app.MapWatches(watches);
        watches.Start();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("RosaOS.Mcp.ReachyMini");
        // Speech (ElevenLabs, Groq TTS and Whisper) and vision send these keys from this process.
        CleartextSecrets.Log(logger, CleartextSecrets.FromEnvironment(
            ("ELEVENLABS_API_KEY", "ELEVENLABS_BASE_URL"), ("GROQ_API_KEY", "GROQ_BASE_URL"), ("ROSAOS_VISION_API_KEY", "ROSAOS_VISION_BASE_URL")));
        // Turn spans (the speech loop's, and speak's inside a worker's traced tool call) go to the kernel next to /stt.
        var spanHttp = app.Services.GetRequiredService<IHttpClientFactory>().CreateClient(KernelSpansClient);
        await using var spans = TurnTracing.SpansUrl(options.Hearing.Loop.CallbackUrl.ToString()) is { } spansUrl
            ? TurnSpanCollector.ToKernel("reachy", spansUrl, spanHttp, logger)
            : null;
        await app.StartAsync(cancellationToken);
        var urls = string.Join(", ", app.Urls);
        LogListening(logger, urls, options.Daemon);
        try
        {
            await app.WaitForShutdownAsync(cancellationToken);
        }
        finally
        {
            await app.Services.GetRequiredService<SpeechQueue>().DisposeAsync();
        }
        return 0;
    }

    private static async Task<int> RunStdioAsync(ReachyServerOptions options, CancellationToken cancellationToken)
    {
        var builder = Host.CreateApplicationBuilder();
        // stdout carries MCP messages; every log line goes to stderr.
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.Services.AddReachyServices(options);
        builder.Services.AddMcpServer(o => o.ServerInfo = ServerInfo)
            .WithStdioServerTransport()
            .WithReachyTools()
            .WithEmergencyStop()
            .WithLease(options.Name)
            .WithToolArgumentBinding()
            .WithApprovals(options);
        var host = builder.Build();
        // Async disposal: the watches' sender is stopped asynchronously.
        await using var hostLifetime = (IAsyncDisposable)host;
        if (ApprovalSetup.UnknownTools(host.Services, options.Name, options.Approval) is { } unknown)
        {
            await Console.Error.WriteLineAsync($"rosa reachy: {unknown}");
            return 2;
        }
        host.Services.GetRequiredService<ReachyWatches>().Start();
        // Not host.RunAsync: it disposes the services before the speech queue is drained (ObjectDisposedException, exit 1,
        // whenever the client closed stdin). The stdio transport stops the host when the client closes; that is exit 0.
        await host.StartAsync(cancellationToken);
        try
        {
            await host.WaitForShutdownAsync(cancellationToken);
        }
        finally
        {
            await host.Services.GetRequiredService<SpeechQueue>().DisposeAsync();
        }
        return 0;
    }

    /// <summary>After the stop and lease filters (a call they refuse never asks a person): the drivers.json approval policy, if any.</summary>
    private static IMcpServerBuilder WithApprovals(this IMcpServerBuilder builder, ReachyServerOptions options)
        => ApprovalSetup.ToolPolicy(options.Name, options.Approval) is { } policy ? builder.WithApprovals(options.Name, policy) : builder;

    [LoggerMessage(Level = LogLevel.Information, Message = "Reachy Mini MCP server listening on {Urls} (path /mcp), daemon {Daemon}.")]
    private static partial void LogListening(ILogger logger, string urls, Uri daemon);
}
