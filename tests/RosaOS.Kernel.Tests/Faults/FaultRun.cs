using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using RosaOS.Testing;
using RosaOS.Testing.Llm;
using static RosaOS.Kernel.Tests.Asker;

namespace RosaOS.Kernel.Tests.Faults;

/// <summary>Where a fault hits.</summary>
internal enum FaultPoint
{
    /// <summary>Kernel killed while its LLM request for the user's event is in flight (nothing journaled for the turn yet).</summary>
    KernelWhileThinking,

    /// <summary>Kernel killed right after launch_process, before its turn ended; the worker has its task.</summary>
    KernelAfterLaunch,

    /// <summary>Kernel killed while the worker's robot action runs.</summary>
    KernelMidAction,

    /// <summary>Kernel killed after the worker's callback was journaled, while the callback's turn is in flight.</summary>
    KernelWhileHandlingCallback,

    /// <summary>The worker killed (SIGKILL) after its robot action, while it waits for its LLM.</summary>
    WorkerAfterAction,

    /// <summary>`rosa reachy` killed while the worker's goto_target runs (then started again).</summary>
    ReachyMidAction,

    /// <summary>The rosbridge server killed while the worker's publish_for_durations runs (then started again).</summary>
    RosbridgeMidAction,
}

/// <summary>One round's fault and what was measured.</summary>
internal sealed record FaultRecord(int Task, FaultPoint Point, string Robot, TimeSpan? WorkersGoneAfter);

/// <summary>
/// The fault-injection run: a scripted conversation in which every user request makes the kernel launch
/// a worker that moves a robot (the simulated Reachy with goto_target, or the stand-in TurtleBot with
/// publish_for_durations), each with a value unique to its task so the robots' own logs show how often
/// it happened. Each round kills one part (the kernel, a worker, `rosa reachy`, the rosbridge) at one
/// point, recovers it, and waits until the system is idle. Then it checks: every accepted event was
/// answered exactly once or marked expired, no task ran twice, every task got exactly one callback, no
/// worker outlived its kernel (checked at each kill), and the audit log matches what the robots did.
/// </summary>
internal sealed partial class FaultRun
{
    private readonly int _seed;
    private readonly List<FaultPoint> _plan;
    private readonly Dictionary<int, (FaultPoint Point, TaskCompletionSource Gate)> _rounds = [];
    private readonly Lock _lock = new();

    public FaultRun(int rounds, int seed)
    {
        _seed = seed;
        var random = new Random(seed);
        // Every point at least once, then random ones; shuffled.
        var all = Enum.GetValues<FaultPoint>();
        _plan = [.. all.Concat(Enumerable.Range(0, Math.Max(0, rounds - all.Length)).Select(_ => all[random.Next(all.Length)]))
            .Take(Math.Max(rounds, all.Length)).OrderBy(_ => random.Next())];
    }

    public IReadOnlyList<FaultPoint> Plan => _plan;

    /// <summary>Runs every round against <paramref name="llm"/> and a fresh stack; returns what happened and every violation found.</summary>
    public async Task<(List<FaultRecord> Records, List<string> Violations)> RunAsync(ScriptedLlmServer llm)
    {
        ArgumentNullException.ThrowIfNull(llm);
        llm.Respond(Answer);
        var records = new List<FaultRecord>();
        await using var stack = await FaultStack.StartAsync(llm);
        for (var i = 0; i < _plan.Count; i++)
        {
            records.Add(await RoundAsync(stack, llm, i + 1, _plan[i]));
        }
        var violations = new List<string>();
        var moves = await stack.Daemon.GetMoveLogAsync(TestContext.Current.CancellationToken);
        var commands = stack.RosCommands;
        await stack.StopKernelAsync();
        using var file = new JournalFile(stack.DataDir);
        Verify(file, moves.Where(m => m.Kind == "goto").Select(m => (m.DurationS, m.Outcome)).ToList(), commands, records, violations);
        return (records, violations);
    }

    /// <summary>Human-readable summary for the docs and the bench output.</summary>
    public string Describe(List<FaultRecord> records)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"fault injection: seed {_seed}, {records.Count} rounds, {records.Count} kills");
        foreach (var group in records.GroupBy(r => r.Point).OrderBy(g => g.Key))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  {group.Key}: {group.Count()} kills");
        }
        var timed = records.Where(r => r.WorkersGoneAfter is not null).Select(r => r.WorkersGoneAfter!.Value.TotalMilliseconds).ToList();
        if (timed.Count > 0)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  workers of a killed kernel gone after: max {timed.Max():0} ms, mean {timed.Average():0} ms over {timed.Count} kernel kills");
        }
        return text.ToString();
    }

    private static string Prompt(int task, string robot) => robot == "reachy-mini"
        ? $"Task {task}: turn Reachy's head with goto_target."
        : $"Task {task}: drive the TurtleBot with publish_for_durations.";

    /// <summary>The value unique to a task that the robots' logs show: Reachy's move duration, the TurtleBot's speed.</summary>
    private static double Duration(int task) => 1.5 + (task * 0.01);

    private static double Speed(int task) => 0.01 + (task * 0.001);

    private static string RobotOf(int task, FaultPoint point) => point switch
    {
        FaultPoint.ReachyMidAction => "reachy-mini",
        FaultPoint.RosbridgeMidAction => "turtlebot",
        _ => task % 2 == 0 ? "reachy-mini" : "turtlebot",
    };

    private Task? GateAt(int task, FaultPoint point)
    {
        lock (_lock)
        {
            return _rounds.TryGetValue(task, out var round) && round.Point == point ? round.Gate.Task : null;
        }
    }

    private FaultPoint PointOf(int task)
    {
        lock (_lock)
        {
            return _rounds[task].Point;
        }
    }

    /// <summary>The scripted model: the same request always gets the same answer, held at the round's fault point.</summary>
    private ScriptedTurn? Answer(RecordedRequest r)
    {
        if (IsKernel(r))
        {
            var last = r.Messages.Count > 0 ? r.Messages[^1] : default;
            if (last.Role == "user" && TaskSaid().Match(last.Text) is { Success: true } said)
            {
                var task = int.Parse(said.Groups[1].Value, CultureInfo.InvariantCulture);
                var robot = RobotOf(task, PointOf(task));
                return ScriptedTurn.Call("launch_process", new { system_prompt = Prompt(task, robot), robots = new[] { robot } })
                    .After(GateAt(task, FaultPoint.KernelWhileThinking));
            }
            if (last.Role == "tool" && TaskSaid().Match(r.LastUserText) is { Success: true } launched)
            {
                var task = int.Parse(launched.Groups[1].Value, CultureInfo.InvariantCulture);
                return ScriptedTurn.Say($"Task {task} launched.").After(GateAt(task, FaultPoint.KernelAfterLaunch));
            }
            if (last.Role == "user" && TaskPrompt().Match(last.Text) is { Success: true } callback)
            {
                var task = int.Parse(callback.Groups[1].Value, CultureInfo.InvariantCulture);
                return ScriptedTurn.Say($"Noted the report on task {task}.").After(GateAt(task, FaultPoint.KernelWhileHandlingCallback));
            }
            return null;
        }
        if (IsWorker(r) && TaskPrompt().Match(r.SystemPrompt) is { Success: true } worker)
        {
            var task = int.Parse(worker.Groups[1].Value, CultureInfo.InvariantCulture);
            if (r.Messages.All(m => m.Role != "tool"))
            {
                var call = RobotOf(task, PointOf(task)) == "reachy-mini"
                    ? ScriptedTurn.Call("goto_target", new { head_yaw = 10 + (task % 20), duration = Duration(task) })
                    : ScriptedTurn.Call("publish_for_durations", new
                    {
                        topic = "/cmd_vel",
                        msg_type = "geometry_msgs/msg/Twist",
                        messages = new[] { new { linear = new { x = Speed(task), y = 0.0, z = 0.0 }, angular = new { x = 0.0, y = 0.0, z = 0.0 } } },
                        durations = new[] { 1.5 },
                        rate_hz = 10,
                    });
                return call.After(GateAt(task, FaultPoint.KernelAfterLaunch));
            }
            return ScriptedTurn.Say($"Task {task} done.").After(GateAt(task, FaultPoint.WorkerAfterAction));
        }
        return null;
    }

    private async Task<FaultRecord> RoundAsync(FaultStack stack, ScriptedLlmServer llm, int task, FaultPoint point)
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            _rounds[task] = (point, gate);
        }
        var robot = RobotOf(task, point);
        TestLog.Write($"[faults] round {task}: {point} ({robot})");
        var (status, _) = await stack.Kernel.PostJsonAsync("/stt", $$"""{"text":"task {{task}}"}""", $"stt:fault-{_seed}-{task}");
        if (status != 200)
        {
            throw new InvalidOperationException($"/stt for task {task} answered {status}");
        }
        TimeSpan? workersGone = null;
        switch (point)
        {
            case FaultPoint.KernelWhileThinking:
                await llm.WaitForRequestAsync(r => IsKernel(r) && r.LastUserText == $"[User said] task {task}");
                workersGone = await RestartKernelAsync(stack);
                break;
            case FaultPoint.KernelAfterLaunch:
                await llm.WaitForRequestAsync(r => IsWorker(r) && r.SystemPrompt.Contains($"Task {task}:", StringComparison.Ordinal));
                await llm.WaitForRequestAsync(r => KernelAfterTool(r) && r.LastUserText == $"[User said] task {task}");
                workersGone = await RestartKernelAsync(stack);
                break;
            case FaultPoint.KernelMidAction:
                await ActionRunningAsync(stack, task, robot);
                workersGone = await RestartKernelAsync(stack);
                break;
            case FaultPoint.KernelWhileHandlingCallback:
                await llm.WaitForRequestAsync(r => IsKernel(r) && TaskPrompt().Match(r.LastUserText) is { Success: true } m && m.Groups[1].Value == task.ToString(CultureInfo.InvariantCulture));
                workersGone = await RestartKernelAsync(stack);
                break;
            case FaultPoint.WorkerAfterAction:
                var held = await llm.WaitForRequestAsync(r => IsWorker(r) && r.SystemPrompt.Contains($"Task {task}:", StringComparison.Ordinal) && r.Messages.Any(m => m.Role == "tool"));
                var running = Assert.Single(await stack.Kernel.RunningAsync(), p => p.GetProperty("system_prompt").GetString()!.StartsWith($"Task {task}:", StringComparison.Ordinal));
                FaultStack.KillWorker(running.GetProperty("pid").GetInt32());
                _ = held;
                break;
            case FaultPoint.ReachyMidAction:
                await ActionRunningAsync(stack, task, robot);
                await stack.RestartReachyAsync();
                break;
            case FaultPoint.RosbridgeMidAction:
                await ActionRunningAsync(stack, task, robot);
                await stack.RestartBridgeAsync();
                break;
        }
        gate.SetResult();
        await IdleAsync(stack, task);
        return new FaultRecord(task, point, robot, workersGone);
    }

    private static async Task<TimeSpan> RestartKernelAsync(FaultStack stack)
    {
        var gone = await stack.CrashKernelAsync();
        await stack.StartKernelAsync();
        return gone;
    }

    /// <summary>Waits until the robot is executing this task's action (its own log shows it).</summary>
    private static async Task ActionRunningAsync(FaultStack stack, int task, string robot)
    {
        if (robot == "reachy-mini")
        {
            await Poll.UntilAsync(async () => (await stack.Daemon.GetMoveLogAsync(TestContext.Current.CancellationToken))
                .Any(m => m.Kind == "goto" && Math.Abs(m.DurationS - Duration(task)) < 1e-6 && m.Outcome == "running"), $"task {task}'s move to run");
        }
        else
        {
            var expected = CommandOf(task);
            await Poll.UntilAsync(() => Task.FromResult(stack.RosCommands.Contains(expected)), $"task {task}'s drive to run");
        }
    }

    private static string CommandOf(int task) => string.Create(CultureInfo.InvariantCulture, $"cmd_vel linear.x={Speed(task):0.0000} angular.z=0.0000");

    /// <summary>The round is over when its request and its task's callback have been handled and nothing is pending or running.</summary>
    private static async Task IdleAsync(FaultStack stack, int task)
    {
        await Poll.UntilAsync(async () =>
        {
            var journal = await stack.Kernel.JournalAsync();
            bool Handled(JsonElement e) => e.GetProperty("status").GetString() is "done" or "expired";
            var request = journal.Any(e => e.GetProperty("text").GetString() == $"[User said] task {task}" && Handled(e));
            var callback = journal.Any(e => e.GetProperty("kind").GetString() == "callback"
                && e.GetProperty("text").GetString()!.Contains($"System prompt: Task {task}:", StringComparison.Ordinal) && Handled(e));
            var health = await stack.Kernel.GetJsonAsync("/health");
            return request && callback && health.GetProperty("events").GetProperty("pending").GetInt64() == 0
                && health.GetProperty("workers").GetProperty("running").GetInt32() == 0;
        }, $"task {task} to be handled", TimeSpan.FromMinutes(2), TimeSpan.FromMilliseconds(100));
    }

    private static void Verify(JournalFile file, List<(double Duration, string Outcome)> moves, IReadOnlyList<string> commands, List<FaultRecord> records, List<string> violations)
    {
        var events = file.Rows("SELECT id, kind, text, status FROM events ORDER BY id");
        foreach (var e in events.Where(e => e[3] is not ("done" or "expired")))
        {
            violations.Add($"event {e[0]} ({e[1]}) ended {e[3]}: {e[2]}");
        }
        var processes = file.Rows("SELECT worker_id, system_prompt, state FROM processes");
        var audit = file.Rows("SELECT worker_id, server, tool, arguments, outcome, is_error, status FROM audit");
        foreach (var record in records)
        {
            var task = record.Task;
            var said = events.Count(e => e[2] == $"[User said] task {task}");
            if (said != 1)
            {
                violations.Add($"task {task}: the user's request is in the journal {said} times");
            }
            var launched = processes.Where(p => p[1].StartsWith($"Task {task}:", StringComparison.Ordinal)).ToList();
            if (launched.Count != 1)
            {
                violations.Add($"task {task}: launched {launched.Count} times");
                continue;
            }
            var workerId = launched[0][0];
            var callbacks = events.Count(e => e[1] == "callback" && e[2].Contains($"(worker_id={workerId}, ", StringComparison.Ordinal));
            if (callbacks != 1)
            {
                violations.Add($"task {task}: {callbacks} callbacks");
            }
            var calls = audit.Where(a => a[0] == workerId).ToList();
            var (robot, tool, seen, succeeded) = record.Robot == "reachy-mini"
                ? ("Reachy", "goto_target", moves.Count(m => Math.Abs(m.Duration - Duration(task)) < 1e-6),
                    (Func<string, bool>)(outcome => outcome.StartsWith("Reached the target", StringComparison.Ordinal)))
                : ("the TurtleBot", "publish_for_durations", commands.Count(c => c == CommandOf(task)),
                    outcome => outcome.Contains("\"success\":true", StringComparison.Ordinal));
            // Audit row columns: worker_id, server, tool, arguments, outcome, is_error, status.
            var audited = calls.Where(a => a[2] == tool).ToList();
            if (seen > 1)
            {
                violations.Add($"task {task}: {robot} shows its {tool} {seen} times");
            }
            if (seen == 1 && audited.Count != 1)
            {
                violations.Add($"task {task}: {robot} acted but the audit log has {audited.Count} {tool} calls");
            }
            if (audited.Any(a => a[6] == "done" && a[5] == "0" && succeeded(a[4])) && seen != 1)
            {
                violations.Add($"task {task}: the audit log says {tool} succeeded, {robot} shows it {seen} times");
            }
        }
    }

    [GeneratedRegex(@"^\[User said\] task (\d+)$")]
    private static partial Regex TaskSaid();

    [GeneratedRegex(@"Task (\d+):")]
    private static partial Regex TaskPrompt();
}
