using System.Net.Http.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RosaOS.EmergencyStop;
using RosaOS.Kernel.Contracts;

namespace RosaOS.Kernel;

/// <summary>
/// One mover per robot, decided here and enforced by the drivers (the lease contract of RosaOS.EmergencyStop): a worker is
/// granted the robots named in launch_process when they are free, and waits in line for the others; a person takes control
/// from the UI at any time (the worker that held the robot is told, and goes back to the head of the line); a lease ends
/// with its worker (done, failed, terminated, timed out, killed) and passes to the next in line. Each change is pushed to
/// the driver's <c>POST /lease</c> by one background loop, always with the robot's latest holder, so order never matters.
/// </summary>
public sealed partial class LeaseCoordinator : BackgroundService
{
    private static readonly HttpClient s_http = new() { Timeout = TimeSpan.FromSeconds(5) };
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Holder> _holders = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<Holder>> _waiting = new(StringComparer.Ordinal);
    private readonly Channel<string> _changed = Channel.CreateBounded<string>(new BoundedChannelOptions(256) { FullMode = BoundedChannelFullMode.DropOldest });
    private readonly DriverRegistry _drivers;
    private readonly EventHub _hub;
    private readonly TimeProvider _time;
    private readonly ILogger<LeaseCoordinator> _logger;

    public LeaseCoordinator(DriverRegistry drivers, EventHub hub, TimeProvider time, ILogger<LeaseCoordinator> logger)
    {
        _drivers = drivers;
        _hub = hub;
        _time = time;
        _logger = logger;
    }

    /// <summary>A lease holder: a worker (its id and task) or the person at the UI.</summary>
    public sealed record Holder(string Id, string Kind, string? Note, DateTimeOffset Since);

    /// <summary>Every robot's holder now (robots nobody holds are absent).</summary>
    public IReadOnlyDictionary<string, Holder> Holders
    {
        get
        {
            lock (_lock)
            {
                return new Dictionary<string, Holder>(_holders, StringComparer.Ordinal);
            }
        }
    }

    /// <summary>The robots <paramref name="workerId"/> holds now.</summary>
    public IReadOnlyList<string> HeldBy(string workerId)
    {
        lock (_lock)
        {
            return [.. _holders.Where(h => h.Value.Id == workerId).Select(h => h.Key)];
        }
    }

    /// <summary>Who holds <paramref name="robot"/>, or null.</summary>
    public Holder? HolderOf(string robot)
    {
        lock (_lock)
        {
            return _holders.GetValueOrDefault(robot);
        }
    }

    /// <summary>A worker starts: it gets each free robot, and waits in line for the others.</summary>
    public void Grant(string workerId, IReadOnlyList<string> robots, string? task)
    {
        ArgumentNullException.ThrowIfNull(robots);
        var holder = new Holder(workerId, "worker", Preview(task), _time.GetUtcNow());
        lock (_lock)
        {
            foreach (var robot in robots)
            {
                if (!_holders.TryGetValue(robot, out var current))
                {
                    _holders[robot] = holder;
                    Changed(robot);
                }
                else if (current.Id != workerId)
                {
                    Line(robot).Add(holder);
                }
            }
        }
    }

    /// <summary>A worker ended (any way): its leases pass to the next in line, and it leaves every line.</summary>
    public void Release(string workerId)
    {
        lock (_lock)
        {
            foreach (var line in _waiting.Values)
            {
                line.RemoveAll(h => h.Id == workerId);
            }
            foreach (var robot in _holders.Where(h => h.Value.Id == workerId).Select(h => h.Key).ToList())
            {
                PassOn(robot);
            }
        }
    }

    /// <summary>A person takes <paramref name="robot"/> (manual control); a worker holding it is told and waits at the head of the line.</summary>
    public Holder TakeControl(string robot)
    {
        lock (_lock)
        {
            if (_holders.TryGetValue(robot, out var previous) && previous.Kind == "person")
            {
                return previous;
            }
            var person = new Holder(LeaseContract.Person, "person", "manual control", _time.GetUtcNow());
            _holders[robot] = person;
            if (previous is not null)
            {
                Line(robot).Insert(0, previous with { Since = person.Since });
                _hub.Publish("lease_revoked", new LeaseRevokedEvent(robot, previous.Id, "a person took control"), KernelJson.Default.LeaseRevokedEvent);
                LogRevoked(_logger, robot, previous.Id);
            }
            Changed(robot);
            return person;
        }
    }

    /// <summary>The person gives <paramref name="robot"/> back: the next worker in line gets it, or nobody holds it.</summary>
    public Holder? ReturnControl(string robot)
    {
        lock (_lock)
        {
            if (_holders.TryGetValue(robot, out var holder) && holder.Kind == "person")
            {
                PassOn(robot);
            }
            return _holders.GetValueOrDefault(robot);
        }
    }

    /// <summary>Re-pushes every robot's holder (a driver that restarted forgets its lease).</summary>
    public void RefreshAll()
    {
        foreach (var driver in _drivers.All.Where(d => d.Enabled))
        {
            _changed.Writer.TryWrite(driver.Name);
        }
    }

    private void PassOn(string robot)
    {
        var line = Line(robot);
        if (line.Count > 0)
        {
            var next = line[0] with { Since = _time.GetUtcNow() };
            line.RemoveAt(0);
            _holders[robot] = next;
        }
        else
        {
            _holders.Remove(robot);
        }
        Changed(robot);
    }

    private List<Holder> Line(string robot)
    {
        if (!_waiting.TryGetValue(robot, out var line))
        {
            _waiting[robot] = line = [];
        }
        return line;
    }

    private void Changed(string robot)
    {
        var holder = _holders.GetValueOrDefault(robot);
        _hub.Publish("lease", new LeaseRow(robot, holder?.Id, holder?.Kind, holder?.Note, holder?.Since), KernelJson.Default.LeaseRow);
        _changed.Writer.TryWrite(robot);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // A driver may still name a worker of a previous kernel run as its holder: say who holds it now (nobody, at start).
        RefreshAll();
        await foreach (var robot in _changed.Reader.ReadAllAsync(stoppingToken))
        {
            var driver = _drivers.All.FirstOrDefault(d => d.Name == robot);
            if (driver is null || !driver.Enabled)
            {
                continue;
            }
            var holder = HolderOf(robot);
            var grant = new LeaseGrant { Holder = holder?.Id, Kind = holder?.Kind, Note = holder?.Note };
            try
            {
                // A driver on another machine asks for its token (drivers.json headers) on /lease as on every route.
                using var request = driver.Request(HttpMethod.Post, LeaseContract.HttpPath, JsonContent.Create(grant, LeaseJson.Default.LeaseGrant));
                using var response = await s_http.SendAsync(request, stoppingToken);
                if (!response.IsSuccessStatusCode)
                {
                    LogPushFailed(_logger, robot, $"HTTP {(int)response.StatusCode}");
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !stoppingToken.IsCancellationRequested)
            {
                LogPushFailed(_logger, robot, e.Message);
            }
        }
    }

    private static string? Preview(string? task) => task is null ? null : task.Length > 80 ? task[..80] + "…" : task;

    [LoggerMessage(Level = LogLevel.Information, Message = "A person took control of {Robot}; worker {Worker} lost its lease.")]
    private static partial void LogRevoked(ILogger logger, string robot, string worker);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not tell {Robot} its lease holder: {Reason}")]
    private static partial void LogPushFailed(ILogger logger, string robot, string reason);
}
