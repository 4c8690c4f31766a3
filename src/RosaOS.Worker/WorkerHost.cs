using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using ModelContextProtocol.Client;
using RosaOS.Agents;
using RosaOS.Configuration;
using RosaOS.Hosting;

namespace RosaOS.Worker;

/// <summary>
/// One worker agent process: runs tasks with the MCP tools of the robots it was given, reports each
/// tool call to the kernel as it happens, and posts the original's callback when a task ends.
/// </summary>
internal sealed partial class WorkerHost
{
    private static readonly HttpClient s_http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly ILogger _logger;
    private readonly LlmSelection _llm;
    private readonly AgentLimits _limits;
    private readonly string _configDirectory;
    private readonly string _callbackUrl;
    private readonly string _toolCallUrl;

    private WorkerHost(ILogger logger, LlmSelection llm, AgentLimits limits, string configDirectory, string callbackUrl, string toolCallUrl)
    {
        _logger = logger;
        _llm = llm;
        _limits = limits;
        _configDirectory = configDirectory;
        _callbackUrl = callbackUrl;
        _toolCallUrl = toolCallUrl;
    }

    public static async Task<WorkerHost> CreateAsync(ILogger logger, CancellationToken cancellationToken)
    {
        var callback = RosaEnvironment.Get("CALLBACK_URL") ?? $"http://localhost:{RosaEnvironment.GetPort("RAG_AGENT_PORT", 8765)}/event";
        var toolCalls = RosaEnvironment.Get(WorkerEnvironment.ToolCallUrl)
            ?? new Uri(new Uri(callback), "/api/worker-tool-calls").ToString();
        var limits = new AgentLimits
        {
            MaxTurns = ReadInt(WorkerEnvironment.MaxTurns, 25),
            MaxToolCalls = ReadInt(WorkerEnvironment.MaxToolCalls, 50),
            MaxPromptChars = ReadInt(WorkerEnvironment.MaxPromptChars, 200_000),
        };
        var llm = await LlmProviders.SelectAsync(LlmSettings.FromEnvironment(), logger, cancellationToken);
        return new WorkerHost(logger, llm, limits, RosaEnvironment.ConfigDirectory, callback, toolCalls);
    }

    /// <summary>Pool mode: one JSON task per stdin line until stdin closes.</summary>
    public async Task<int> RunPoolAsync(TextReader input, CancellationToken cancellationToken)
    {
        LogReady(_logger, "pool", Environment.ProcessId);
        while (await input.ReadLineAsync(cancellationToken) is { } line)
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }
            WorkerTask? task;
            try
            {
                task = JsonSerializer.Deserialize<WorkerTask>(line);
            }
            catch (JsonException e)
            {
                LogBadTask(_logger, e.Message);
                continue;
            }
            if (task is null || string.IsNullOrWhiteSpace(task.WorkerId))
            {
                LogBadTask(_logger, "missing worker_id");
                continue;
            }
            await RunTaskAsync(task with { McpServers = task.McpServers is { Count: > 0 } ? task.McpServers : ["reachy-mini"], SystemPrompt = task.SystemPrompt ?? "" }, cancellationToken);
        }
        return 0;
    }

    /// <summary>One-shot mode: WORKER_ID, WORKER_SYSTEM_PROMPT, WORKER_MCP_SERVERS.</summary>
    public async Task<int> RunOneShotAsync(CancellationToken cancellationToken)
    {
        var id = RosaEnvironment.Get("WORKER_ID");
        if (id is null)
        {
            await Console.Error.WriteLineAsync("rosa worker: WORKER_ID is not set (one-shot mode), and --pool / WORKER_POOL=1 was not given.");
            return 2;
        }
        LogReady(_logger, "one-shot", Environment.ProcessId);
        var servers = (RosaEnvironment.Get("WORKER_MCP_SERVERS") ?? "reachy-mini")
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var success = await RunTaskAsync(new WorkerTask(id, Environment.GetEnvironmentVariable("WORKER_SYSTEM_PROMPT") ?? "", servers), cancellationToken);
        return success ? 0 : 1;
    }

    private async Task<bool> RunTaskAsync(WorkerTask task, CancellationToken cancellationToken)
    {
        var robots = string.Join(",", task.McpServers);
        LogTaskStarted(_logger, task.WorkerId, robots);
        bool success;
        string output;
        if (!_llm.IsAvailable)
        {
            (success, output) = (false, "Error: " + _llm.Status);
        }
        else
        {
            (success, output) = await RunAgentAsync(task, cancellationToken);
        }
        var message = WorkerEnvironment.CallbackMessage(success, task.SystemPrompt, output);
        await PostWithRetriesAsync(_callbackUrl, new { worker_id = task.WorkerId, message, done = success }, cancellationToken);
        LogTaskFinished(_logger, task.WorkerId, success);
        return success;
    }

    private async Task<(bool, string)> RunAgentAsync(WorkerTask task, CancellationToken cancellationToken)
    {
        DriversConfig drivers;
        try
        {
            drivers = DriversConfig.Load(_configDirectory);
        }
        catch (DriversConfigException e)
        {
            return (false, e.Message);
        }
        var clients = new List<McpClient>();
        var tools = new List<AIFunction>();
        var serverOfTool = new Dictionary<string, string>(StringComparer.Ordinal);
        var notes = new List<string>();
        try
        {
            foreach (var name in task.McpServers)
            {
                var driver = drivers.Find(name);
                if (driver is null)
                {
                    notes.Add($"{name}: not in drivers.json");
                    continue;
                }
                if (!driver.Enabled)
                {
                    notes.Add($"{name}: disabled ({drivers.DisabledReason(driver)})");
                    continue;
                }
                try
                {
                    var client = await McpClient.CreateAsync(
                        new HttpClientTransport(new HttpClientTransportOptions { Endpoint = driver.Url, Name = name }),
                        new McpClientOptions { ProtocolVersion = "2025-11-25" }, cancellationToken: cancellationToken);
                    clients.Add(client);
                    foreach (var tool in await client.ListToolsAsync(cancellationToken: cancellationToken))
                    {
                        if (serverOfTool.TryAdd(tool.Name, name))
                        {
                            tools.Add(tool);
                        }
                    }
                }
                catch (Exception e) when (!cancellationToken.IsCancellationRequested)
                {
                    LogDriverUnreachable(_logger, name, driver.Url.ToString(), e.Message);
                    notes.Add($"{name}: MCP server at {driver.Url} is not reachable ({e.Message})");
                }
            }
            var instructions = BuildInstructions(task, drivers, notes);
            var runner = new AgentRunner(_llm.Client!, _limits, _logger);
            var result = await runner.RunAsync(instructions, [], WorkerEnvironment.FirstMessage, tools,
                (call, ct) => PostWithRetriesAsync(_toolCallUrl,
                    new ToolCallReport(task.WorkerId, serverOfTool.GetValueOrDefault(call.Tool, "?"), call.Tool, call.Arguments, call.Result, call.IsError, call.DurationMs), ct),
                cancellationToken);
            return (result.Success, result.Output);
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    private string BuildInstructions(WorkerTask task, DriversConfig drivers, List<string> notes)
    {
        var path = Path.Combine(_configDirectory, "process.txt");
        var template = File.Exists(path)
            ? File.ReadAllText(path).Trim()
            : "You are a process in an agentic operating system integrated with robots.\nHere are instructions for the robot(s) you have access to:\n{robot_instructions}\nHere are the instructions from the kernel:\n{kernel_instructions}";
        var robots = string.Join("\n", task.McpServers.Select(n => $"{n}: {drivers.Find(n)?.Prompt ?? ""}".TrimEnd())).Trim();
        if (notes.Count > 0)
        {
            robots += "\nUnavailable right now (their tools are missing): " + string.Join("; ", notes);
        }
        return template
            .Replace("{kernel_instructions}", string.IsNullOrWhiteSpace(task.SystemPrompt) ? "Complete the assigned task." : task.SystemPrompt, StringComparison.Ordinal)
            .Replace("{robot_instructions}", robots, StringComparison.Ordinal);
    }

    private async Task PostWithRetriesAsync(string url, object payload, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                using var response = await s_http.PostAsJsonAsync(new Uri(url), payload, cancellationToken);
                response.EnsureSuccessStatusCode();
                return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                if (attempt >= 5)
                {
                    // The kernel notices the missing callback when this process exits or times out.
                    LogPostFailed(_logger, url, e.Message);
                    return;
                }
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), cancellationToken);
            }
        }
    }

    private static int ReadInt(string name, int fallback)
        => RosaEnvironment.Get(name) is { } v && int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : fallback;

    [LoggerMessage(Level = LogLevel.Information, Message = "worker ready ({Mode}, pid {Pid})")]
    private static partial void LogReady(ILogger logger, string mode, int pid);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ignoring a task line: {Reason}")]
    private static partial void LogBadTask(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Task {WorkerId} started with robots {Robots}")]
    private static partial void LogTaskStarted(ILogger logger, string workerId, string robots);

    [LoggerMessage(Level = LogLevel.Information, Message = "Task {WorkerId} finished (success={Success})")]
    private static partial void LogTaskFinished(ILogger logger, string workerId, bool success);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Driver {Name} at {Url} is not reachable: {Reason}")]
    private static partial void LogDriverUnreachable(ILogger logger, string name, string url, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "POST {Url} failed after retries: {Reason}")]
    private static partial void LogPostFailed(ILogger logger, string url, string reason);
}
