using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using ModelContextProtocol.Client;
using RosaOS.Agents;
using RosaOS.Configuration;
using RosaOS.EmergencyStop;
using RosaOS.Hosting;
using RosaOS.Kernel.Contracts;

namespace RosaOS.Worker;

/// <summary>
/// One worker agent process: runs tasks with the MCP tools of the robots it was given, reports each
/// tool call to the kernel as it happens, and posts the original's callback when a task ends.
/// </summary>
internal sealed partial class WorkerHost
{
    /// <summary>Time the drivers get to stop the motion of a worker that must end early.</summary>
    private static readonly TimeSpan s_stopDeadline = TimeSpan.FromSeconds(1);
    private static readonly HttpClient s_http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly ILogger _logger;
    private readonly LlmSelection _llm;
    private readonly AgentLimits _limits;
    private readonly string _configDirectory;
    private readonly string _callbackUrl;
    private readonly string _toolCallUrl;
    private readonly KernelClient _kernel;
    private readonly MotionGuard _motion;
    private readonly HashSet<string> _ranTasks = new(StringComparer.Ordinal);
    // A pooled worker keeps its MCP clients from task to task (the drivers' MCP servers are stateless): a task then
    // costs one tools/list per driver instead of a new connection with its initialize handshake, on the path to the
    // first spoken word. The lease header names the task running now, read per request.
    private static readonly HttpClient s_driverHttp = DriverMcp.LeaseHttpClient(() => s_holder);
    private readonly DriverClientPool _kept = new(http: s_driverHttp);
    private static volatile string? s_holder;
    private bool _keepClients;

    /// <summary>"0": a pooled worker connects to its drivers anew for every task.</summary>
    public const string KeepClientsVariable = "ROSA_WORKER_KEEP_MCP";

    private WorkerHost(ILogger logger, LlmSelection llm, AgentLimits limits, string configDirectory, string callbackUrl, string toolCallUrl)
    {
        _logger = logger;
        _llm = llm;
        _limits = limits;
        _configDirectory = configDirectory;
        _callbackUrl = callbackUrl;
        _toolCallUrl = toolCallUrl;
        _kernel = KernelLink.CreateClient(s_http, callbackUrl, toolCallUrl, logger);
        _motion = new MotionGuard(logger);
    }

    /// <summary>
    /// The kernel is gone: stop the motion this worker started (non-latching stop tools), then exit at
    /// once without reporting (nobody would hear it; the next kernel reports the task as lost).
    /// </summary>
    public void AbandonForLostKernel()
    {
        _motion.StopAsync(s_stopDeadline).GetAwaiter().GetResult();
        // No kernel will end this worker's leases: give them up at each driver (only where this worker still holds them).
        if (_leases is { } leases)
        {
            try
            {
                using var deadline = new CancellationTokenSource(s_stopDeadline);
                Task.WhenAll(leases.Drivers.Select(driver => GiveUpLeaseAsync(driver, leases.WorkerId, deadline.Token))).Wait(s_stopDeadline);
            }
            catch (AggregateException)
            {
                // A driver that is down forgets its lease when it restarts.
            }
        }
        Environment.Exit(3);
    }

    private volatile LeaseHolding? _leases;

    private sealed record LeaseHolding(string WorkerId, List<WorkerDriver> Drivers);

    /// <summary><c>POST /lease</c> if_holder with the driver's drivers.json headers (its token, for a driver on another machine).</summary>
    private static async Task GiveUpLeaseAsync(WorkerDriver driver, string workerId, CancellationToken cancellationToken)
    {
        using var request = driver.Request(HttpMethod.Post, LeaseContract.HttpPath,
            JsonContent.Create(new LeaseGrant { Holder = null, IfHolder = workerId }, LeaseJson.Default.LeaseGrant));
        using var response = await s_http.SendAsync(request, cancellationToken);
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
    public async Task<int> RunPoolAsync(ChannelReader<string> lines, CancellationToken cancellationToken)
    {
        LogReady(_logger, "pool", Environment.ProcessId);
        // Off for a driver whose MCP server keeps per-session state that must not outlive a task (and to compare).
        _keepClients = RosaEnvironment.Get(KeepClientsVariable) != "0";
        await foreach (var line in lines.ReadAllAsync(cancellationToken))
        {
            if (ReadTask(line) is { } task)
            {
                await RunTaskAsync(task, cancellationToken);
            }
        }
        return 0;
    }

    /// <summary>
    /// One-shot mode: one task, then exit. A worker started by hand takes it from the original's WORKER_ID,
    /// WORKER_SYSTEM_PROMPT and WORKER_MCP_SERVERS (its drivers from drivers.json); the kernel's one-off worker reads the
    /// same task line as a pooled one from <paramref name="lines"/> (its stdin).
    /// </summary>
    public async Task<int> RunOneShotAsync(ChannelReader<string>? lines, CancellationToken cancellationToken)
    {
        WorkerTask? task = null;
        if (RosaEnvironment.Get("WORKER_ID") is { } id)
        {
            var servers = (RosaEnvironment.Get("WORKER_MCP_SERVERS") ?? "reachy-mini")
                .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            task = new WorkerTask(id, Environment.GetEnvironmentVariable("WORKER_SYSTEM_PROMPT") ?? "", servers,
                RosaEnvironment.Get(WorkerEnvironment.TraceParent));
            LogReady(_logger, "one-shot", Environment.ProcessId);
        }
        else if (lines is not null)
        {
            LogReady(_logger, "one-shot", Environment.ProcessId);
            await foreach (var line in lines.ReadAllAsync(cancellationToken))
            {
                if ((task = ReadTask(line)) is not null)
                {
                    break;
                }
            }
        }
        if (task is null)
        {
            await Console.Error.WriteLineAsync("rosa worker: WORKER_ID is not set (one-shot mode), and --pool / WORKER_POOL=1 was not given.");
            return 2;
        }
        return await RunTaskAsync(task, cancellationToken) ? 0 : 1;
    }

    /// <summary>A task line (the same for pooled and one-off workers), or null (logged) when it cannot be run.</summary>
    private WorkerTask? ReadTask(string line)
    {
        WorkerTask? task;
        try
        {
            task = JsonSerializer.Deserialize<WorkerTask>(line);
        }
        catch (JsonException e)
        {
            LogBadTask(_logger, e.Message);
            return null;
        }
        if (task is null || string.IsNullOrWhiteSpace(task.WorkerId))
        {
            LogBadTask(_logger, "missing worker_id");
            return null;
        }
        // One identity per task: a task this process already ran is never run again.
        if (!_ranTasks.Add(task.WorkerId))
        {
            LogBadTask(_logger, $"task {task.WorkerId} was already run by this worker");
            return null;
        }
        return task with { McpServers = task.McpServers is { Count: > 0 } ? task.McpServers : ["reachy-mini"], SystemPrompt = task.SystemPrompt ?? "" };
    }

    private async Task<bool> RunTaskAsync(WorkerTask task, CancellationToken cancellationToken)
    {
        var robots = string.Join(",", task.McpServers);
        LogTaskStarted(_logger, task.WorkerId, robots);
        // A task launched by a traced turn continues its trace: LLM requests, tool calls and, through MCP's _meta, speak.
        using var span = TurnTracing.Parse(task.TraceParent) is { TraceId: var traceId } parent && traceId != default
            ? TurnTracing.Source.StartActivity(TurnTracing.Spans.WorkerTask, System.Diagnostics.ActivityKind.Consumer, parent)
            : null;
        span?.SetTag("worker_id", task.WorkerId);
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
        // The task's one callback key: a retry whose answer was lost, or the kernel's own failure report, adds nothing.
        await PostWithRetriesAsync(new EventRequest(task.WorkerId, message, success), WorkerEnvironment.CallbackKey(task.WorkerId), cancellationToken);
        LogTaskFinished(_logger, task.WorkerId, success);
        return success;
    }

    private async Task<(bool, string)> RunAgentAsync(WorkerTask task, CancellationToken cancellationToken)
    {
        // The kernel resolves the task's robots when it launches it; only a worker started by hand reads drivers.json.
        IReadOnlyList<WorkerDriver> drivers;
        try
        {
            drivers = task.Drivers ?? WorkerDriver.For(task.McpServers, DriversConfig.Load(_configDirectory));
        }
        catch (DriversConfigException e)
        {
            return (false, e.Message);
        }
        WorkerDriver? Find(string name) => drivers.FirstOrDefault(d => d.Name == name);
        var clients = new List<McpClient>();
        var tools = new List<AIFunction>();
        var serverOfTool = new Dictionary<string, string>(StringComparer.Ordinal);
        var notes = new List<string>();
        var calls = new TaskCalls(this, task.WorkerId, serverOfTool);
        var holding = new LeaseHolding(task.WorkerId, [.. task.McpServers.Select(Find).OfType<WorkerDriver>().Where(d => d.Disabled is null)]);
        _leases = holding;
        // The driver moves the robot for this worker only while the kernel has granted it the robot's lease.
        s_holder = task.WorkerId;
        try
        {
            foreach (var name in task.McpServers)
            {
                var driver = Find(name);
                if (driver is null)
                {
                    notes.Add($"{name}: not in drivers.json");
                    continue;
                }
                if (driver.Disabled is { } reason)
                {
                    notes.Add($"{name}: disabled ({reason})");
                    continue;
                }
                try
                {
                    var (client, offered) = await ConnectAsync(name, driver, cancellationToken);
                    if (!_keepClients)
                    {
                        clients.Add(client);
                    }
                    _motion.AddDriver(name, client, offered);
                    foreach (var tool in offered)
                    {
                        if (serverOfTool.TryAdd(tool.Name, name))
                        {
                            tools.Add(calls.Wrap(tool));
                        }
                    }
                }
                catch (Exception e) when (!cancellationToken.IsCancellationRequested)
                {
                    LogDriverUnreachable(_logger, name, driver.Url.ToString(), e.Message);
                    notes.Add($"{name}: MCP server at {driver.Url} is not reachable ({e.Message})");
                }
            }
            var instructions = BuildInstructions(task, Find, notes);
            // Tool-result images reach models that can see (docs/kernel.md "Images"); stored under the data folder either way.
            var runner = new AgentRunner(_llm.Client!, _limits, _logger,
                new AgentImages(LlmVision.SeesImages(_llm.Provider, _llm.Model), Path.Combine(RosaEnvironment.DataDirectory, "tool-images")));
            var result = await runner.RunAsync(instructions, [], WorkerEnvironment.FirstMessage, tools, calls.DoneAsync, cancellationToken);
            return (result.Success, result.Output);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Asked to stop (SIGTERM from the kernel or rosa up): the robots must not keep moving for a task nobody follows.
            await _motion.StopAsync(s_stopDeadline);
            throw;
        }
        finally
        {
            _leases = null;
            _motion.Clear();
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// An MCP client of <paramref name="driver"/> and its tools: the one kept from an earlier task when it still answers
    /// tools/list at the same URL with the same headers (a remote driver's token), else a new one.
    /// </summary>
    private async Task<(McpClient Client, IList<McpClientTool> Tools)> ConnectAsync(string name, WorkerDriver driver, CancellationToken cancellationToken)
    {
        if (!_keepClients)
        {
            var single = await DriverMcp.ConnectAsync(name, driver.Url, driver.Headers, http: s_driverHttp, cancellationToken: cancellationToken);
            try
            {
                return (single, await single.ListToolsAsync(cancellationToken: cancellationToken));
            }
            catch
            {
                await single.DisposeAsync();
                throw;
            }
        }
        var (client, reused) = await _kept.GetAsync(name, driver.Url, driver.Headers, cancellationToken);
        try
        {
            return (client, await client.ListToolsAsync(cancellationToken: cancellationToken));
        }
        catch (Exception e) when (reused && !cancellationToken.IsCancellationRequested)
        {
            LogReconnecting(_logger, name, e.Message);
        }
        catch
        {
            await _kept.ForgetAsync(name, client);
            throw;
        }
        await _kept.ForgetAsync(name, client);
        (client, _) = await _kept.GetAsync(name, driver.Url, driver.Headers, cancellationToken);
        try
        {
            return (client, await client.ListToolsAsync(cancellationToken: cancellationToken));
        }
        catch
        {
            await _kept.ForgetAsync(name, client);
            throw;
        }
    }

    private string BuildInstructions(WorkerTask task, Func<string, WorkerDriver?> find, List<string> notes)
    {
        var path = Path.Combine(_configDirectory, "process.txt");
        var template = File.Exists(path)
            ? File.ReadAllText(path).Trim()
            : "You are a process in an agentic operating system integrated with robots.\nHere are instructions for the robot(s) you have access to:\n{robot_instructions}\nHere are the instructions from the kernel:\n{kernel_instructions}";
        var robots = string.Join("\n", task.McpServers.Select(n => $"{n}: {find(n)?.Prompt ?? ""}".TrimEnd())).Trim();
        if (notes.Count > 0)
        {
            robots += "\nUnavailable right now (their tools are missing): " + string.Join("; ", notes);
        }
        return template
            .Replace("{kernel_instructions}", string.IsNullOrWhiteSpace(task.SystemPrompt) ? "Complete the assigned task." : task.SystemPrompt, StringComparison.Ordinal)
            .Replace("{robot_instructions}", robots, StringComparison.Ordinal);
    }

    /// <summary>Posts through the kernel client (its retry policy, the same key on every try); true once the kernel took it.</summary>
    private Task<bool> PostWithRetriesAsync(EventRequest callback, string idempotencyKey, CancellationToken cancellationToken)
        => KernelLink.DeliveredAsync(_kernel.PostEventAsync(callback, idempotencyKey, cancellationToken), new Uri(_callbackUrl), _logger);

    private Task<bool> PostWithRetriesAsync(ToolCallReport report, string idempotencyKey, CancellationToken cancellationToken)
        => KernelLink.DeliveredAsync(_kernel.ReportToolCallAsync(report, idempotencyKey, cancellationToken), new Uri(_toolCallUrl), _logger);

    /// <summary>
    /// The tool calls of one task: each is reported "started" to the kernel before it runs (so a call cut
    /// short by a crash is known to have an unknown outcome) and "done" with its result after, both under
    /// idempotency keys; a call the kernel could not record is not run.
    /// </summary>
    private sealed class TaskCalls(WorkerHost host, string workerId, Dictionary<string, string> serverOfTool)
    {
        private readonly Lock _lock = new();
        private int _next;
        private (string Tool, string CallId)? _pending;

        public AIFunction Wrap(AIFunction tool) => new ReportedTool(tool, this);

        public async Task DoneAsync(ToolCallRecord call, CancellationToken cancellationToken)
        {
            string callId;
            lock (_lock)
            {
                // The agent loop reports each call right after running it; a call refused before running was never started.
                callId = _pending is { } pending && pending.Tool == call.Tool ? pending.CallId : (++_next).ToString(CultureInfo.InvariantCulture);
                _pending = null;
            }
            await host.PostWithRetriesAsync(
                new ToolCallReport(workerId, Server(call.Tool), call.Tool, call.Arguments, call.Result, call.IsError, call.DurationMs, callId, "done"),
                WorkerEnvironment.ToolCallKey(workerId, callId, "done"), cancellationToken);
        }

        private string Server(string tool) => serverOfTool.GetValueOrDefault(tool, "?");

        private async Task<bool> StartedAsync(AIFunction tool, AIFunctionArguments arguments, CancellationToken cancellationToken)
        {
            string callId;
            lock (_lock)
            {
                callId = (++_next).ToString(CultureInfo.InvariantCulture);
                _pending = (tool.Name, callId);
            }
            host._motion.BeforeCall(Server(tool.Name), tool);
            return await host.PostWithRetriesAsync(
                new ToolCallReport(workerId, Server(tool.Name), tool.Name, JsonSerializer.Serialize(arguments, AIJsonUtilities.DefaultOptions), "", false, 0, callId, "started"),
                WorkerEnvironment.ToolCallKey(workerId, callId, "started"), cancellationToken);
        }

        private sealed class ReportedTool(AIFunction inner, TaskCalls calls) : DelegatingAIFunction(inner)
        {
            protected override async ValueTask<object?> InvokeCoreAsync(AIFunctionArguments arguments, CancellationToken cancellationToken)
                => await calls.StartedAsync(InnerFunction, arguments, cancellationToken)
                    ? await base.InvokeCoreAsync(arguments, cancellationToken)
                    : $"Error: {Name} was not run: the kernel could not record the call (it may be restarting). Try again later.";
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

    [LoggerMessage(Level = LogLevel.Information, Message = "The kept MCP connection to {Driver} did not answer ({Reason}); connecting again")]
    private static partial void LogReconnecting(ILogger logger, string driver, string reason);
}
