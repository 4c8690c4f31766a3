using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace RosaOS.Hosting;

/// <summary>
/// Stops this service when the <c>rosa up</c> that started it is gone. Children run in their own sessions
/// (so Ctrl-C reaches only the supervisor, which stops them in order); without this watch a supervisor
/// killed with SIGKILL would leave them orphaned.
/// </summary>
internal sealed partial class SupervisorWatch(IHostApplicationLifetime lifetime, ILogger<SupervisorWatch> logger) : BackgroundService
{
    /// <summary>The environment variable through which <c>rosa up</c> passes its process id to its children.</summary>
    public const string Variable = "ROSA_SUPERVISOR_PID";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!int.TryParse(Environment.GetEnvironmentVariable(Variable), out var pid) || pid <= 1)
        {
            return;
        }
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                // A reparented child sees the supervisor's pid vanish (pids are not reused that fast).
                if (!ProcessIdentity.Exists(pid))
                {
                    LogSupervisorGone(logger, pid);
                    lifetime.StopApplication();
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Supervisor (pid {Pid}) is gone; stopping.")]
    private static partial void LogSupervisorGone(ILogger logger, int pid);
}
