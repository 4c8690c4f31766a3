using System.ComponentModel;
using System.Text.Json;
using Microsoft.Extensions.AI;
using ModelContextProtocol.Server;
using RosaOS.Mcp.Arguments;
using RosaOS.Kernel.Contracts;

// Parameter names are the wire names of the original's tools (system_prompt, worker_id); models and prompts rely on them.
#pragma warning disable CA1707

namespace RosaOS.Kernel;

/// <summary>
/// The process-manager tools of the original (launch_process, get_processes, terminate_process),
/// served over MCP on the process port and given in-process to the kernel agent.
/// </summary>
[McpServerToolType]
public sealed class ProcessTools(ProcessManager processes, DriverRegistry drivers, LeaseCoordinator leases, KernelOptions options, EventHub hub)
{
    [McpServerTool(Name = "launch_process")]
    [Description("Spawn a background worker that runs an LLM agent with the given system prompt. The worker runs in a separate process with the MCP tools of the robots it is given; when it completes it reports back with a [Worker callback] carrying the returned worker_id.")]
    public async Task<string> LaunchProcess(
        [Description("Instructions for the worker agent: the task, a plan, and the relevant context of the conversation.")] string system_prompt,
        [Description("Robots the worker may use, by name (see the robot list).")] string[]? robots = null,
        CancellationToken cancellationToken = default)
    {
        await drivers.ProbeIfDownAsync(robots, cancellationToken);
        return processes.Launch(system_prompt, robots);
    }

    [McpServerTool(Name = "get_processes")]
    [Description(GetProcessesDescription)]
    public string GetProcesses()
    {
        var holders = leases.Holders;
        return JsonSerializer.Serialize(processes.RunningProcesses().Select(p => new
        {
            worker_id = p.WorkerId,
            system_prompt = p.SystemPrompt,
            robots = p.Robots,
            kind = p.Kind,
            started_at = p.StartedAt,
            // Who may move each of its robots now: one mover per robot (a worker, or a person at the UI).
            leases = p.Robots.ToDictionary(r => r, r => holders.TryGetValue(r, out var h)
                ? h.Id == p.WorkerId ? "holds it" : h.Kind == "person" ? "waiting: a person has taken control" : $"waiting: held by worker {h.Id}"
                : "free"),
        }));
    }

    private const string GetProcessesDescription = "Get the list and tasks of all currently running processes, and for each of its robots whether it holds the robot's lease "
        + "(only the holder may move a robot: one worker, or a person who took control in the UI).";

    [McpServerTool(Name = "terminate_process")]
    [Description("Terminate the process with the given worker_id. force: terminate even if it runs in a pool worker; keep it false unless absolutely necessary.")]
    public string TerminateProcess(
        [Description("The ID of the process to terminate.")] string worker_id,
        [Description("Terminate even a pool worker's task.")] bool force = false)
        => processes.Terminate(worker_id, force);

    /// <summary>
    /// The same tools for the in-process kernel agent, with what a re-run does with an interrupted call.
    /// Its launches take their task id from the journaled step, so a re-run never launches a task twice.
    /// </summary>
    public IReadOnlyList<KernelTool> AsKernelTools()
    {
        var robotNames = string.Join(", ", drivers.Enabled.Select(d => d.Name));
        var withReply = options.ReplyTool && drivers.Enabled.Any(d => d.Name == options.ReplyDriver);
        // Built once per set of robots: creating the functions (reflection, JSON schemas) on every turn was on the path to the first word.
        var key = (withReply ? "reply|" : "|") + robotNames;
        if (_kernelTools is { } kept && kept.Key == key)
        {
            return kept.Tools;
        }
        var tools = BuildKernelTools(robotNames, withReply);
        _kernelTools = new KernelToolSet(key, tools);
        return tools;
    }

    private sealed record KernelToolSet(string Key, IReadOnlyList<KernelTool> Tools);

    private KernelToolSet? _kernelTools;

    private IReadOnlyList<KernelTool> BuildKernelTools(string robotNames, bool withReply)
    {
        var reply = withReply
            ? new[]
            {
                // Speech is not repeated after a crash: the model is told its outcome is unknown.
                new KernelTool(AIFunctionFactory.Create(ReplyAsync, "reply",
                    "Answer the user directly in speech on the robot (queued on its speaker, returns at once) when no robot action is needed. "
                    + "Use launch_process for anything that needs the robots' other tools."), StepRecovery.Unknown),
            }
            : [];
        return
        [
            .. reply,
            new KernelTool(AIFunctionFactory.Create(LaunchForKernel, SingleTypeOptions("launch_process",
                "Spawn a background worker that runs an LLM agent with the given system prompt, with the MCP tools of the given robots. "
                + $"Robots must be among: {(robotNames.Length > 0 ? robotNames : "reachy-mini")}. Returns the worker_id its [Worker callback] will carry.")),
                StepRecovery.LookUp, step => processes.LaunchedAnswer(step.TaskId)),
            new KernelTool(AIFunctionFactory.Create(GetProcesses, "get_processes", GetProcessesDescription), StepRecovery.RunAgain),
            new KernelTool(AIFunctionFactory.Create(TerminateProcess, "terminate_process",
                "Terminate the process with the given worker_id. force=true is needed for pool workers; keep it false unless absolutely necessary."),
                StepRecovery.RunAgain),
        ];
    }

    private async Task<string> ReplyAsync([Description("The words to say to the user, in plain text.")] string text, CancellationToken cancellationToken)
    {
        try
        {
            var watch = System.Diagnostics.Stopwatch.StartNew();
            var (answer, isError) = await drivers.CallToolAsync(options.ReplyDriver, "speak", new Dictionary<string, object?> { ["text"] = text }, cancellationToken);
            // Shown live as what the robot said; the key is the journaled step's, which a reloaded page's history reads.
            var step = KernelStep.Current;
            hub.Publish("tool_call", new KernelReplyEvent("kernel", options.ReplyDriver, "reply", JsonSerializer.Serialize(new ReplyArguments(text), KernelJson.Default.ReplyArguments),
                answer, isError, watch.Elapsed.TotalMilliseconds, step?.EventId, step is null ? null : $"e{step.EventId}:s{step.Seq}"), KernelJson.Default.KernelReplyEvent);
            return isError ? "Error: " + answer : answer;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return $"Error: {options.ReplyDriver} could not speak: {e.Message}";
        }
    }
    /// <summary>Factory options whose schema has one type per property (robots: "array", not ["array","null"]), like the MCP servers' lists.</summary>
    private static AIFunctionFactoryOptions SingleTypeOptions(string name, string description) => new()
    {
        Name = name,
        Description = description,
        JsonSchemaCreateOptions = new AIJsonSchemaCreateOptions { TransformSchemaNode = (_, node) => ToolSchemas.SingleTypes(node) },
    };

    private async Task<string> LaunchForKernel(
        [Description("Instructions for the worker agent: the task, a plan, and the relevant context of the conversation.")] string system_prompt,
        [Description("Robots the worker may use, by name (see the robot list).")] string[]? robots = null,
        CancellationToken cancellationToken = default)
    {
        var step = KernelStep.Current;
        await drivers.ProbeIfDownAsync(robots, cancellationToken);
        return step is not null
            ? processes.Launch(system_prompt, robots, step.TaskId, step.EventId)
            : processes.Launch(system_prompt, robots);
    }
}
