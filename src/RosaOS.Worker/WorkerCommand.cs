using System.CommandLine;
using Microsoft.Extensions.Logging;
using RosaOS.Hosting;

namespace RosaOS.Worker;

/// <summary>The `rosa worker` sub-command.</summary>
public static class WorkerCommand
{
    /// <summary>Builds the command with its options and action.</summary>
    public static Command Create()
    {
        var pool = new Option<bool>("--pool") { Description = "Pool mode: read tasks as JSON lines on stdin (also WORKER_POOL=1)." };
        var command = new Command("worker", "Run a worker agent process: task lines on stdin (--pool: one after another; else one), or one task from WORKER_ID, WORKER_SYSTEM_PROMPT, WORKER_MCP_SERVERS.") { pool };
        command.SetAction(async (parse, cancellationToken) =>
        {
            // A SIGTERM before the first await would find System.CommandLine's handler not ready (exit 143, no clean stop).
            await Task.Yield();
            using var loggerFactory = LoggerFactory.Create(b => RosaWebHost.ConfigureLogging(b, "worker"));
            var logger = loggerFactory.CreateLogger("RosaOS.Worker");
            var poolMode = parse.GetValue(pool) || RosaEnvironment.Get("WORKER_POOL")?.ToUpperInvariant() is "1" or "TRUE";
            // Watching starts before anything slow: a worker whose kernel dies while it starts must not linger.
            var link = KernelLink.FromEnvironment(logger);
            WorkerHost? host = null;
            link.Start(poolMode || link.Watching ? Console.In : null, _ =>
            {
                if (host is null)
                {
                    Environment.Exit(3);
                }
                host.AbandonForLostKernel();
            });
            host = await WorkerHost.CreateAsync(logger, cancellationToken);
            // The spans of traced tasks (LLM requests, tool calls) go to the kernel, which keeps each turn's breakdown.
            using var spanHttp = new HttpClient();
            await using var spans = TurnTracing.SpansUrl(RosaEnvironment.Get("CALLBACK_URL")) is { } spansUrl
                ? TurnSpanCollector.ToKernel("worker", spansUrl, spanHttp, logger)
                : null;
            return poolMode
                ? await host.RunPoolAsync(link.Tasks, cancellationToken)
                // A worker its kernel started reads its one task line from stdin, as a pooled one does; one started by hand has no line.
                : await host.RunOneShotAsync(link.Watching ? link.Tasks : null, cancellationToken);
        });
        return command;
    }
}
