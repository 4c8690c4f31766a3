using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace RosaOS.Kernel;

/// <summary>
/// Runs tasks in worker processes (`rosa worker`): a pool of long-lived workers, and one-off workers when the pool is
/// busy; both get the same JSON task line on stdin (<c>WorkerTask</c>, with the task's drivers). A task has one
/// identity (its worker_id) from launch to callback; its row is written before any process gets it, so a
/// task is never started twice, and a worker that exits or overruns its time limit without calling back
/// produces exactly one failure callback (it shares the task's callback idempotency key).
/// </summary>
public sealed partial class ProcessManager : IHostedService, IDisposable
{
    private readonly KernelOptions _options;
    private readonly KernelDatabase _database;
    private readonly EventIntake _intake;
    private readonly EventHub _hub;
    private readonly DriverRegistry _drivers;
    private readonly RosaOS.EmergencyStop.EmergencyStopLatch _estop;
    private readonly WorkerSpawner _spawner;
    private readonly LeaseCoordinator _leases;
    private readonly ILogger<ProcessManager> _logger;
    private readonly Lock _lock = new();
    private readonly List<Slot> _pool = [];
    private readonly Dictionary<string, Running> _running = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ProcessInfo> _table = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();

    public ProcessManager(KernelOptions options, KernelDatabase database, EventIntake intake, EventHub hub, DriverRegistry drivers,
        RosaOS.EmergencyStop.EmergencyStopLatch estop, WorkerSpawner spawner, LeaseCoordinator leases, ILogger<ProcessManager> logger)
    {
        _leases = leases;
        _estop = estop;
        _options = options;
        _database = database;
        _intake = intake;
        _hub = hub;
        _drivers = drivers;
        _spawner = spawner;
        _logger = logger;
    }

    /// <summary>Tasks running now.</summary>
    public int RunningCount
    {
        get
        {
            lock (_lock)
            {
                return _running.Count;
            }
        }
    }

    /// <summary>Sets the callback URL once the API port is known.</summary>
    public void SetCallbackUrl(string url) => _spawner.CallbackUrl = url;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        // SIGTERM first: each worker stops the motion it started before it exits.
        await _spawner.StopAllAsync(TimeSpan.FromSeconds(2));
    }

    /// <summary>Running tasks (get_processes).</summary>
    public IReadOnlyList<ProcessInfo> RunningProcesses()
    {
        lock (_lock)
        {
            return [.. _running.Values.Select(r => r.Info)];
        }
    }

    /// <summary>Every task this kernel run has seen, newest first.</summary>
    public IReadOnlyList<ProcessInfo> AllProcesses()
    {
        lock (_lock)
        {
            return [.. _table.Values.OrderByDescending(p => p.StartedAt)];
        }
    }

    public void Dispose()
    {
        _stopping.Dispose();
    }

    private sealed record Running(ProcessInfo Info, WorkerChild Child, Timer Timeout);
}
