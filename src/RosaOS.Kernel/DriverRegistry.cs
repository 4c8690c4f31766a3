using System.Text.Json;
using Microsoft.Extensions.Logging;
using ModelContextProtocol.Client;
using RosaOS.Configuration;
using RosaOS.EmergencyStop;

namespace RosaOS.Kernel;

/// <summary>A driver as the kernel sees it: <see cref="Enabled"/> is the config's switch, <see cref="Reachable"/> the last probe's answer.</summary>
public sealed record DriverStatus(string Name, string Url, string Description, bool Enabled, bool Reachable, string? Problem);

/// <summary>
/// The drivers of config/drivers.json: those not switched off with <c>"enabled": false</c> are probed at start like
/// the original (any HTTP answer counts as reachable; unreachable ones are left out with a warning), listed with
/// their tools for the UI, and reachable through a tool-call proxy for manual control and the emergency stop.
/// A disabled entry is never contacted: it is listed with the reason, and offered to no one.
/// </summary>
public sealed partial class DriverRegistry
{
    private static readonly HttpClient s_probe = new() { Timeout = TimeSpan.FromSeconds(3) };
    private readonly ILogger<DriverRegistry> _logger;
    private readonly Dictionary<string, DriverStatus> _status = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly DriverClientPool _clients = new(leaseHolder: LeaseContract.Person);

    public DriverRegistry(KernelOptions options, ILogger<DriverRegistry> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _logger = logger;
        Config = DriversConfig.Load(options.ConfigDirectory);
        foreach (var driver in Config.Drivers.Where(d => !d.Enabled))
        {
            var reason = Config.DisabledReason(driver);
            LogSwitchedOff(_logger, driver.Name, reason);
        }
        foreach (var driver in Config.Drivers.Where(d => d.SendsHeadersInClear))
        {
            LogHeadersInClear(_logger, driver.Name, driver.Url.ToString());
        }
    }

    /// <summary>drivers.json as read at start.</summary>
    public DriversConfig Config { get; }

    /// <summary>Every configured driver, switched off or not.</summary>
    public IReadOnlyList<DriverEntry> All => Config.Drivers;

    /// <summary>Drivers switched on in the config and found reachable at the last probe: what workers may be given.</summary>
    public IReadOnlyList<DriverEntry> Enabled
    {
        get
        {
            lock (_lock)
            {
                return [.. Config.Enabled.Where(d => _status.TryGetValue(d.Name, out var s) && s.Reachable)];
            }
        }
    }

    /// <summary>Status of every driver: switched-off ones with the reason, the others from the last probe.</summary>
    public IReadOnlyList<DriverStatus> Statuses
    {
        get
        {
            lock (_lock)
            {
                return [.. All.Select(d => d.Enabled
                    ? _status.GetValueOrDefault(d.Name) ?? new DriverStatus(d.Name, d.Url.ToString(), d.Description, true, false, "not probed yet")
                    : new DriverStatus(d.Name, d.Url.ToString(), d.Description, false, false, "disabled: " + Config.DisabledReason(d)))];
            }
        }
    }

    /// <summary>Probes every switched-on driver in parallel.</summary>
    public Task ProbeAsync(CancellationToken cancellationToken) => ProbeAsync(Config.Enabled, quiet: false, cancellationToken);

    /// <summary>Probes again the switched-on drivers the last probe could not reach; logs only those that came up.</summary>
    public Task ProbeUnreachableAsync(CancellationToken cancellationToken)
    {
        List<DriverEntry> down;
        lock (_lock)
        {
            down = [.. Config.Enabled.Where(d => !_status.TryGetValue(d.Name, out var s) || !s.Reachable)];
        }
        return down.Count == 0 ? Task.CompletedTask : ProbeAsync(down, quiet: true, cancellationToken);
    }

    /// <summary>
    /// Probes now the drivers among <paramref name="names"/> that are switched on but were down at the last probe, so a
    /// task asking for a robot that has just come back gets it instead of waiting for the next periodic probe.
    /// </summary>
    public Task ProbeIfDownAsync(IEnumerable<string>? names, CancellationToken cancellationToken)
    {
        if (names is null)
        {
            return Task.CompletedTask;
        }
        var wanted = names.ToHashSet(StringComparer.Ordinal);
        List<DriverEntry> down;
        lock (_lock)
        {
            down = [.. Config.Enabled.Where(d => wanted.Contains(d.Name) && (!_status.TryGetValue(d.Name, out var s) || !s.Reachable))];
        }
        return down.Count == 0 ? Task.CompletedTask : ProbeAsync(down, quiet: true, cancellationToken);
    }

    private Task ProbeAsync(IReadOnlyList<DriverEntry> drivers, bool quiet, CancellationToken cancellationToken)
        => Task.WhenAll(drivers.Select(d => ProbeOneAsync(d, quiet, cancellationToken)));

    // Each answer is recorded as it arrives: a hung driver (up to the probe's timeout) does not hold back the others.
    private async Task ProbeOneAsync(DriverEntry d, bool quiet, CancellationToken cancellationToken)
    {
        DriverStatus status;
        try
        {
            using var response = await s_probe.GetAsync(d.Url, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            status = new DriverStatus(d.Name, d.Url.ToString(), d.Description, true, true, null);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            status = new DriverStatus(d.Name, d.Url.ToString(), d.Description, true, false, e.Message);
        }
        bool cameUp;
        lock (_lock)
        {
            cameUp = status.Reachable && !(_status.GetValueOrDefault(d.Name)?.Reachable ?? false);
            _status[status.Name] = status;
        }
        if (status.Reachable && (cameUp || !quiet))
        {
            LogEnabled(_logger, status.Name, status.Url);
        }
        else if (!status.Reachable && !quiet)
        {
            LogDisabled(_logger, status.Name, status.Url, status.Problem ?? "");
        }
    }

    /// <summary>The kernel prompt's robot list: "name: description, …" of reachable drivers.</summary>
    public string RobotList() => string.Join(", ", Enabled.Select(d => $"{d.Name}: {d.Description}"));

    /// <summary>Lists a driver's tools (name, description, input schema).</summary>
    public async Task<IReadOnlyList<RosaOS.Kernel.Contracts.DriverTool>> ListToolsAsync(string name, CancellationToken cancellationToken)
    {
        var client = await ClientAsync(name, cancellationToken);
        try
        {
            var tools = await client.ListToolsAsync(cancellationToken: cancellationToken);
            return [.. tools.Select(t => new RosaOS.Kernel.Contracts.DriverTool(t.Name, t.Description, t.JsonSchema))];
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            Forget(name, client);
            throw;
        }
    }

    /// <summary>Calls one tool of a driver; returns the text result and whether it was an error.</summary>
    public async Task<(string Text, bool IsError)> CallToolAsync(string name, string tool, IReadOnlyDictionary<string, object?> arguments, CancellationToken cancellationToken)
    {
        var client = await ClientAsync(name, cancellationToken);
        ModelContextProtocol.Protocol.CallToolResult result;
        try
        {
            result = await client.CallToolAsync(tool, arguments, cancellationToken: cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            // Not retried (a tool call may have acted); the next call connects again.
            Forget(name, client);
            throw;
        }
        var text = string.Join("\n", result.Content.OfType<ModelContextProtocol.Protocol.TextContentBlock>().Select(c => c.Text));
        if (text.Length == 0 && result.StructuredContent is { } structured)
        {
            text = JsonSerializer.Serialize(structured);
        }
        return (text, result.IsError == true);
    }

    /// <summary>
    /// The kept MCP client of a driver, connected on first use (<see cref="DriverClientPool"/>): a call (the kernel's reply
    /// tool, manual control) no longer pays a new connection and the initialize handshake; a client whose transport failed
    /// is forgotten and the next call connects again. The kernel's calls are a person's (manual control): they move a robot
    /// only when a person holds it or nobody does.
    /// </summary>
    private async Task<McpClient> ClientAsync(string name, CancellationToken cancellationToken)
    {
        var driver = Config.Find(name)
            ?? throw new KeyNotFoundException($"no driver named '{name}'; configured: {string.Join(", ", All.Select(d => d.Name))}");
        if (!driver.Enabled)
        {
            throw new DriverDisabledException($"driver '{name}' is disabled ({Config.DisabledReason(driver)}); set \"enabled\": true to use it");
        }
        return (await _clients.GetAsync(name, driver.Url, driver.Headers, cancellationToken)).Client;
    }

    private void Forget(string name, McpClient client) => _ = _clients.ForgetAsync(name, client).AsTask();

    [LoggerMessage(Level = LogLevel.Warning, Message = "MCP server {Name} at {Url}: its drivers.json headers (a token?) are sent over plain http to another machine; anyone on the network can read them. Use https (a certificate on the driver, or a TLS reverse proxy) or a tunnel")]
    private static partial void LogHeadersInClear(ILogger logger, string name, string url);

    [LoggerMessage(Level = LogLevel.Information, Message = "MCP server {Name} is switched off and will not be contacted: {Reason}")]
    private static partial void LogSwitchedOff(ILogger logger, string name, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "MCP server {Name} at {Url} is reachable and will be enabled")]
    private static partial void LogEnabled(ILogger logger, string name, string url);

    [LoggerMessage(Level = LogLevel.Warning, Message = "MCP server {Name} at {Url} is not reachable and will be disabled: {Reason}")]
    private static partial void LogDisabled(ILogger logger, string name, string url, string reason);
}

/// <summary>A tool call or listing was asked of a driver that drivers.json switches off.</summary>
public sealed class DriverDisabledException : InvalidOperationException
{
    public DriverDisabledException(string message)
        : base(message)
    {
    }

    public DriverDisabledException()
    {
    }

    public DriverDisabledException(string message, Exception inner)
        : base(message, inner)
    {
    }
}

/// <summary>
/// Probes the drivers that were down every few seconds, so a driver started (or restarted) after the kernel is
/// offered to workers again without restarting the kernel; the original only probed at start.
/// </summary>
internal sealed class DriverReprobe(DriverRegistry drivers, TimeProvider time) : Microsoft.Extensions.Hosting.BackgroundService
{
    private static readonly TimeSpan s_period = TimeSpan.FromSeconds(3);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(s_period, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await drivers.ProbeUnreachableAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
