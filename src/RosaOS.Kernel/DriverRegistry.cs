using System.Text.Json;
using Microsoft.Extensions.Logging;
using ModelContextProtocol.Client;
using RosaOS.Agents;

namespace RosaOS.Kernel;

/// <summary>A driver as the kernel sees it.</summary>
public sealed record DriverStatus(string Name, string Url, string Description, bool Reachable, string? Problem);

/// <summary>
/// The drivers of config/drivers.json: probed at start like the original (any HTTP answer counts as
/// reachable; unreachable ones are disabled with a warning), listed with their tools for the UI, and
/// reachable through a tool-call proxy for manual control and the emergency stop.
/// </summary>
public sealed partial class DriverRegistry
{
    private static readonly HttpClient s_probe = new() { Timeout = TimeSpan.FromSeconds(3) };
    private readonly ILogger<DriverRegistry> _logger;
    private readonly Dictionary<string, DriverStatus> _status = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public DriverRegistry(KernelOptions options, ILogger<DriverRegistry> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _logger = logger;
        All = DriversConfig.Load(options.ConfigDirectory);
    }

    /// <summary>Every configured driver.</summary>
    public IReadOnlyList<DriverEntry> All { get; }

    /// <summary>Drivers found reachable at the last probe.</summary>
    public IReadOnlyList<DriverEntry> Enabled
    {
        get
        {
            lock (_lock)
            {
                return [.. All.Where(d => _status.TryGetValue(d.Name, out var s) && s.Reachable)];
            }
        }
    }

    /// <summary>Status of every driver from the last probe.</summary>
    public IReadOnlyList<DriverStatus> Statuses
    {
        get
        {
            lock (_lock)
            {
                return [.. All.Select(d => _status.GetValueOrDefault(d.Name) ?? new DriverStatus(d.Name, d.Url, d.Description, false, "not probed yet"))];
            }
        }
    }

    /// <summary>Probes every driver in parallel.</summary>
    public async Task ProbeAsync(CancellationToken cancellationToken)
    {
        var results = await Task.WhenAll(All.Select(async d =>
        {
            try
            {
                using var response = await s_probe.GetAsync(new Uri(d.Url), HttpCompletionOption.ResponseHeadersRead, cancellationToken);
                return new DriverStatus(d.Name, d.Url, d.Description, true, null);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                return new DriverStatus(d.Name, d.Url, d.Description, false, e.Message);
            }
        }));
        lock (_lock)
        {
            foreach (var status in results)
            {
                _status[status.Name] = status;
            }
        }
        foreach (var status in results)
        {
            if (status.Reachable)
            {
                LogEnabled(_logger, status.Name, status.Url);
            }
            else
            {
                LogDisabled(_logger, status.Name, status.Url, status.Problem ?? "");
            }
        }
    }

    /// <summary>The kernel prompt's robot list: "name: description, …" of reachable drivers.</summary>
    public string RobotList() => string.Join(", ", Enabled.Select(d => $"{d.Name}: {d.Description}"));

    /// <summary>Lists a driver's tools (name, description, input schema).</summary>
    public async Task<IReadOnlyList<object>> ListToolsAsync(string name, CancellationToken cancellationToken)
    {
        await using var client = await ConnectAsync(name, cancellationToken);
        var tools = await client.ListToolsAsync(cancellationToken: cancellationToken);
        return [.. tools.Select(t => (object)new { name = t.Name, description = t.Description, input_schema = t.JsonSchema })];
    }

    /// <summary>Calls one tool of a driver; returns the text result and whether it was an error.</summary>
    public async Task<(string Text, bool IsError)> CallToolAsync(string name, string tool, IReadOnlyDictionary<string, object?> arguments, CancellationToken cancellationToken)
    {
        await using var client = await ConnectAsync(name, cancellationToken);
        var result = await client.CallToolAsync(tool, arguments, cancellationToken: cancellationToken);
        var text = string.Join("\n", result.Content.OfType<ModelContextProtocol.Protocol.TextContentBlock>().Select(c => c.Text));
        if (text.Length == 0 && result.StructuredContent is { } structured)
        {
            text = JsonSerializer.Serialize(structured);
        }
        return (text, result.IsError == true);
    }

    private async Task<McpClient> ConnectAsync(string name, CancellationToken cancellationToken)
    {
        var driver = All.FirstOrDefault(d => d.Name == name)
            ?? throw new KeyNotFoundException($"no driver named '{name}'; configured: {string.Join(", ", All.Select(d => d.Name))}");
        return await McpClient.CreateAsync(
            new HttpClientTransport(new HttpClientTransportOptions { Endpoint = new Uri(driver.Url), Name = name }),
            new McpClientOptions { ProtocolVersion = "2025-11-25" }, cancellationToken: cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "MCP server {Name} at {Url} is reachable and will be enabled")]
    private static partial void LogEnabled(ILogger logger, string name, string url);

    [LoggerMessage(Level = LogLevel.Warning, Message = "MCP server {Name} at {Url} is not reachable and will be disabled: {Reason}")]
    private static partial void LogDisabled(ILogger logger, string name, string url, string reason);
}
