using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RosaOS.Agents;
using RosaOS.Configuration;
using RosaOS.EmergencyStop;
using RosaOS.Hosting;
using RosaOS.Kernel.Contracts;
using RosaOS.Mcp.Arguments;

namespace RosaOS.Kernel;

/// <summary>The `rosa kernel` sub-command.</summary>
public static partial class KernelCommand
{
    /// <summary>Builds the command with its options and action.</summary>
    public static Command Create()
    {
        var port = new Option<int?>("--port") { Description = "HTTP API port (default 8765, or RAG_AGENT_PORT)." };
        var processPort = new Option<int?>("--process-port") { Description = "Process-manager MCP port (default 7001, or PROCESS_SERVER_PORT)." };
        var bind = new Option<string>("--bind") { Description = "Address to bind (default 127.0.0.1).", DefaultValueFactory = _ => "127.0.0.1" };
        var local = new Option<bool>("--local") { Description = "Use only the local OpenAI-compatible endpoint (vLLM)." };
        var endpoint = new Option<int?>("--endpoint") { Description = "Local LLM port (default 6000, or LOCAL_LLM_PORT)." };
        var anthropic = new Option<bool>("--anthropic") { Description = "Use Anthropic (ANTHROPIC_API_KEY)." };
        var model = new Option<string?>("--model") { Description = "Model: Groq's (GROQ_MODEL, default openai/gpt-oss-120b), or Anthropic's with --anthropic." };
        var poolSize = new Option<int>("--pool-size") { Description = "Long-lived pooled workers.", DefaultValueFactory = _ => 2 };
        var poolWarm = new Option<int?>("--pool-warm") { Description = "Pool workers started ahead of any task (default: the pool size); the rest start when a task takes the last idle one." };
        var maxWorkers = new Option<int>("--max-workers") { Description = "Most tasks running at once.", DefaultValueFactory = _ => 6 };
        var taskTimeout = new Option<double>("--task-timeout") { Description = "Seconds a task may run before it is killed and reported failed.", DefaultValueFactory = _ => 600 };
        var historyWindow = new Option<int>("--history-window") { Description = "Kernel conversation messages kept in the prompt.", DefaultValueFactory = _ => 40 };
        var workerTurns = new Option<int>("--worker-max-turns") { Description = "LLM turns a worker may take per task.", DefaultValueFactory = _ => 25 };
        var workerCalls = new Option<int>("--worker-max-tool-calls") { Description = "Tool calls a worker may make per task.", DefaultValueFactory = _ => 50 };
        var speechTtl = new Option<double>("--speech-ttl") { Description = "Seconds a spoken request may wait; older ones are not run and the user is told.", DefaultValueFactory = _ => 120 };
        var chatTtl = new Option<double>("--chat-ttl") { Description = "Seconds a chat message may wait before it is not run.", DefaultValueFactory = _ => 600 };
        var callbackTtl = new Option<double>("--callback-ttl") { Description = "Seconds a worker callback may wait before it is not run.", DefaultValueFactory = _ => 3600 };
        var keepDays = new Option<double>("--keep-days") { Description = "Days of finished events, history, audit log, process rows and rotated logs kept.", DefaultValueFactory = _ => 28 };
        var keepRows = new Option<int>("--keep-rows") { Description = "Most rows kept per table (events, history, audit log).", DefaultValueFactory = _ => 200_000 };
        var keepImagesDays = new Option<double>("--keep-images-days") { Description = "Days captured and downloaded images are kept.", DefaultValueFactory = _ => 28 };
        var keepImagesMb = new Option<double>("--keep-images-mb") { Description = "Most MiB of captured and downloaded images kept (oldest deleted first).", DefaultValueFactory = _ => 2048 };
        var replyTool = new Option<bool>("--reply-tool") { Description = "Give the kernel agent a reply tool that speaks on Reachy Mini directly, without a worker (also ROSA_REPLY_TOOL=1)." };
        var command = new Command("kernel", "Run the kernel: event queue, kernel agent, process manager (8765, 7001).")
        {
            replyTool,
            port, processPort, bind, local, endpoint, anthropic, model, poolSize, poolWarm, maxWorkers, taskTimeout, historyWindow, workerTurns, workerCalls,
            speechTtl, chatTtl, callbackTtl, keepDays, keepRows, keepImagesDays, keepImagesMb,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            // A SIGTERM before the first await would find System.CommandLine's handler not ready (exit 143, no clean stop).
            await Task.Yield();
            // As in the original, flags become environment variables so workers (child processes) inherit them.
            if (parse.GetValue(local))
            {
                Environment.SetEnvironmentVariable("LOCAL_LLM", "1");
            }
            if (parse.GetValue(endpoint) is { } e)
            {
                Environment.SetEnvironmentVariable("LOCAL_LLM_PORT", e.ToString(CultureInfo.InvariantCulture));
            }
            if (parse.GetValue(anthropic))
            {
                Environment.SetEnvironmentVariable("LLM_PROVIDER", "anthropic");
            }
            if (parse.GetValue(model) is { } m)
            {
                Environment.SetEnvironmentVariable(parse.GetValue(anthropic) ? "ANTHROPIC_MODEL" : "GROQ_MODEL", m);
            }
            KernelOptions options;
            try
            {
                options = new KernelOptions
                {
                    BindAddress = parse.GetValue(bind)!,
                    Port = parse.GetValue(port) ?? RosaEnvironment.GetPort("RAG_AGENT_PORT", 8765),
                    ProcessPort = parse.GetValue(processPort) ?? RosaEnvironment.GetPort("PROCESS_SERVER_PORT", 7001),
                    DataDirectory = RosaEnvironment.DataDirectory,
                    ConfigDirectory = RosaEnvironment.ConfigDirectory,
                    PoolSize = parse.GetValue(poolSize),
                    PoolWarm = parse.GetValue(poolWarm),
                    MaxWorkers = parse.GetValue(maxWorkers),
                    TaskTimeout = TimeSpan.FromSeconds(parse.GetValue(taskTimeout) is var t && double.IsFinite(t) && t > 0 ? t : -1),
                    HistoryWindow = parse.GetValue(historyWindow),
                    WorkerMaxTurns = parse.GetValue(workerTurns),
                    WorkerMaxToolCalls = parse.GetValue(workerCalls),
                    SpeechTtl = Seconds(parse.GetValue(speechTtl)),
                    ChatTtl = Seconds(parse.GetValue(chatTtl)),
                    CallbackTtl = Seconds(parse.GetValue(callbackTtl)),
                    KeepFor = Days(parse.GetValue(keepDays)),
                    KeepRows = parse.GetValue(keepRows),
                    ReplyTool = parse.GetValue(replyTool) || RosaEnvironment.Get("ROSA_REPLY_TOOL")?.ToUpperInvariant() is "1" or "TRUE",
                    KeepImagesFor = Days(parse.GetValue(keepImagesDays)),
                    KeepImagesBytes = parse.GetValue(keepImagesMb) is var mb && double.IsFinite(mb) && mb > 0 && mb < 1e9 ? (long)(mb * 1024 * 1024) : -1,
                };
                options.Validate();
            }
            catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or OverflowException)
            {
                await Console.Error.WriteLineAsync("rosa kernel: " + ex.Message);
                return 2;
            }
            return await RunAsync(options, cancellationToken);
        });
        return command;
    }

    // Invalid values become negative spans that Validate reports by flag name.
    private static TimeSpan Seconds(double value) => double.IsFinite(value) && value > 0 && value < 1e9 ? TimeSpan.FromSeconds(value) : TimeSpan.FromSeconds(-1);

    private static TimeSpan Days(double value) => double.IsFinite(value) && value > 0 && value < 36_500 ? TimeSpan.FromDays(value) : TimeSpan.FromSeconds(-1);

    private static Task<int> RunAsync(KernelOptions options, CancellationToken cancellationToken) => RunAsync(options, null, null, cancellationToken);

    /// <summary>
    /// Runs the kernel until shutdown. The two hooks are the seam for hosting it in memory (tests): <paramref name="configure"/> adjusts
    /// the builder before it is built (e.g. a TestServer instead of Kestrel), <paramref name="started"/> gets the started app.
    /// </summary>
    internal static async Task<int> RunAsync(KernelOptions options, Action<WebApplicationBuilder>? configure, Action<WebApplication>? started,
        CancellationToken cancellationToken)
    {
        var builder = RosaWebHost.CreateBuilder("kernel", options.BindAddress, options.Port);
        var host = options.BindAddress.Contains(':', StringComparison.Ordinal) ? $"[{options.BindAddress}]" : options.BindAddress;
        var scheme = TlsCertificate.SchemeFor(options.BindAddress);
        var urls = new List<(string, string)> { (ApiEndpoint, $"{scheme}://{host}:{options.Port}"), (ProcessEndpoint, $"{scheme}://{host}:{options.ProcessPort}") };
        if (!AccessPolicy.IsLoopbackBind(options.BindAddress) && !System.Net.IPAddress.Any.ToString().Equals(options.BindAddress, StringComparison.Ordinal)
            && options.BindAddress is not ("::" or "[::]"))
        {
            // Bound to one address beyond loopback (rosa up --bind): loopback stays served, so the stack's own services
            // (the simulator's /stt callbacks, workers, rosa status) keep calling it there without the token.
            urls.Add((ApiEndpoint, $"http://127.0.0.1:{options.Port}"));
            urls.Add((ProcessEndpoint, $"http://127.0.0.1:{options.ProcessPort}"));
        }
        builder.UseNamedUrls(urls);

        using var loggerFactory = LoggerFactory.Create(b => RosaWebHost.ConfigureLogging(b, "kernel"));
        var startupLogger = loggerFactory.CreateLogger("RosaOS.Kernel");
        DataFolder folder;
        LlmSelection selection;
        DriverRegistry drivers;
        KernelDatabase database;
        try
        {
            // First: a second kernel on the same folder must stop before it touches the journal or starts workers.
            folder = DataFolder.Acquire(options.DataDirectory, $"API http://{host}:{options.Port}");
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync("rosa kernel: " + ex.Message);
            return 2;
        }
        using var _ = folder;
        try
        {
            // The kernel and its workers send these keys; said once here, by the process that starts the workers.
            CleartextSecrets.Log(startupLogger, CleartextSecrets.FromEnvironment(("GROQ_API_KEY", "GROQ_BASE_URL"), ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL")));
            selection = await LlmProviders.SelectAsync(LlmSettings.FromEnvironment(), startupLogger, cancellationToken);
            drivers = new DriverRegistry(options, loggerFactory.CreateLogger<DriverRegistry>());
            database = new KernelDatabase(options.DataDirectory) { CorruptRow = what => LogCorruptRow(startupLogger, what) };
            // SQLite creates the WAL files after opening; they hold the same conversation, so they get the same mode.
            DataFolder.Secure(options.DataDirectory);
        }
        catch (Exception ex) when (ex is InvalidOperationException or DriversConfigException)
        {
            await Console.Error.WriteLineAsync("rosa kernel: " + ex.Message);
            return 2;
        }
        using var __ = database;
        // The kernel's own turn spans go straight to its database, off the turn's path.
        await using var turnSpans = new TurnSpanCollector("kernel", (batch, _) =>
        {
            database.SaveTurnSpans(batch);
            return Task.CompletedTask;
        }, startupLogger);
        await drivers.ProbeAsync(cancellationToken);
        Console.WriteLine(selection.IsAvailable ? $"LLM: {selection.Status}" : $"LLM: none. {selection.Status}. Kernel turns will answer with this error until it is fixed.");

        // GET /updates drains the buffer (the original's contract), so a cross-site page must not read it away.
        builder.Services.Configure<RequestGuardOptions>(o => o.StateChangingGets.Add("/updates"));
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(database);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<WorkerSpawner>();
        builder.Services.AddSingleton<PreviousRun>();
        builder.Services.AddSingleton<Retention>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<Retention>());
        builder.Services.AddSingleton(drivers);
        builder.Services.AddSingleton(new KernelLlm(selection));
        builder.Services.AddSingleton<EventHub>();
        builder.Services.AddSingleton<EventIntake>();
        builder.Services.AddHostedService<DriverReprobe>();
        builder.Services.AddSingleton(sp => new EmergencyStopLatch(EmergencyStopCoordinator.KernelLatchName, options.DataDirectory,
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<EmergencyStopLatch>>()));
        EmergencyStopClient.AddEmergencyStopClient(builder.Services);
        builder.Services.AddSingleton<EmergencyStopCoordinator>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<EmergencyStopCoordinator>());
        builder.Services.AddSingleton<LeaseCoordinator>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<LeaseCoordinator>());
        builder.Services.AddSingleton<ApprovalCoordinator>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ApprovalCoordinator>());
        builder.Services.AddSingleton<ProcessManager>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ProcessManager>());
        builder.Services.AddSingleton<ProcessTools>();
        builder.Services.AddSingleton<TimerService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<TimerService>());
        builder.Services.AddSingleton<TimerTools>();
        builder.Services.AddSingleton<KernelLoop>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<KernelLoop>());
        builder.Services.AddMcpServer().WithHttpTransport(o => o.Stateless = true).WithTools<ProcessTools>().WithToolArgumentBinding();

        configure?.Invoke(builder);
        var app = builder.Build();
        var intake = app.Services.GetRequiredService<EventIntake>();
        app.Services.GetRequiredService<Retention>().TryRunOnce();
        var (requeued, _, _) = database.EventCounts();
        if (requeued > 0)
        {
            Console.WriteLine($"Re-running {requeued} events accepted before the last stop.");
        }
        // Before any worker of this run exists: end the last run's workers, report the tasks they were running.
        var lost = await app.Services.GetRequiredService<PreviousRun>().RecoverAsync(cancellationToken);
        if (lost > 0)
        {
            Console.WriteLine($"{lost} tasks were running when the kernel stopped; their workers are lost and each is reported back as a failure with what it had done.");
        }
        var processes = app.Services.GetRequiredService<ProcessManager>();
        var estop = app.Services.GetRequiredService<EmergencyStopCoordinator>();
        // The ports asked for, replaced at start by the ones bound (they differ when asked for port 0).
        var apiPort = options.Port;
        var processPort = options.ProcessPort;
        processes.SetCallbackUrl(RosaEnvironment.Get("CALLBACK_URL") ?? $"http://127.0.0.1:{apiPort}/event");

        app.UseHostFiltering();
        app.MapRosaHealth(_ =>
        {
            var (pending, done, expired) = database.EventCounts();
            var health = new KernelHealth(
                new LlmStatus(selection.Provider, selection.Model, selection.Status, selection.IsAvailable),
                new HealthEvents(pending, done, expired, intake.Backlog),
                new HealthWorkers(processes.RunningCount, processes.PoolPids()),
                [.. drivers.Statuses.Select(d => new HealthDriver(d.Name, d.Enabled, d.Reachable, d.Problem))],
                new HealthEstop(estop.Status.Engaged, estop.Refusal),
                $"http://{host}:{processPort}/mcp");
            return JsonSerializer.SerializeToNode(health, KernelJson.Relaxed.KernelHealth)!.AsObject();
        });
        var bound = app.Services.GetRequiredService<BoundAddresses>();
        // The process manager's MCP answers only on its own port. A fixed port goes into the route (RequireHost, which route
        // listings and the fuzzer read); a port the OS chooses at bind time is checked per request, since no request can be
        // addressed to it before it is bound.
        var mcp = app.MapMcp("/mcp");
        if (options.ProcessPort != 0)
        {
            mcp.RequireHost($"*:{options.ProcessPort}");
        }
        else
        {
            app.Use((context, next) =>
            {
                if (context.Request.Path.StartsWithSegments("/mcp", StringComparison.Ordinal) && !bound.IsPortOf(ProcessEndpoint, context.Request.Host.Port))
                {
                    context.Response.StatusCode = StatusCodes.Status404NotFound;
                    return Task.CompletedTask;
                }
                return next(context);
            });
        }
        KernelApi.Map(app);

        app.Lifetime.ApplicationStarted.Register(() =>
        {
            apiPort = bound.For(ApiEndpoint).Port;
            processPort = bound.For(ProcessEndpoint).Port;
            if (options.Port == 0)
            {
                folder.Describe($"API http://{host}:{apiPort}");
            }
            processes.SetCallbackUrl(RosaEnvironment.Get("CALLBACK_URL") ?? $"http://127.0.0.1:{apiPort}/event");
            processes.StartPool();
            Console.WriteLine($"rosa kernel listening on {scheme}://{host}:{apiPort} (process manager MCP on {scheme}://{host}:{processPort}/mcp, data {database.Path})");
        });
        await app.StartAsync(cancellationToken);
        started?.Invoke(app);
        await app.WaitForShutdownAsync(cancellationToken);
        return 0;
    }

    /// <summary>The name the kernel's HTTP API is reported under (<c>rosaOS kernel listening on …</c>).</summary>
    public const string ApiEndpoint = "kernel";

    /// <summary>The name the process manager's MCP endpoint is reported under.</summary>
    public const string ProcessEndpoint = "kernel-process";

    [LoggerMessage(Level = LogLevel.Warning, Message = "Skipped a corrupt database row: {What}")]
    private static partial void LogCorruptRow(ILogger logger, string what);
}
