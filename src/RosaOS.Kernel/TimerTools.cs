using System.ComponentModel;
using System.Text.Json;
using Microsoft.Extensions.AI;

// Parameter names are the tools' wire names (snake_case, like the process tools').
#pragma warning disable CA1707

namespace RosaOS.Kernel;

/// <summary>
/// The kernel agent's timer tools: schedule_timer, list_timers, cancel_timer. A timer scheduled in a turn takes its id from the
/// journaled step, so a turn re-run after a crash finds the timer it already scheduled instead of adding a second.
/// </summary>
public sealed class TimerTools(TimerService timers)
{
    /// <summary>The tools with what a re-run does with an interrupted call (all of them are safe to run again).</summary>
    public IReadOnlyList<KernelTool> AsKernelTools() => _kernelTools ??= BuildKernelTools();

    // Built once: creating the functions (reflection, JSON schemas) on every turn was on the path to the first word.
    private IReadOnlyList<KernelTool>? _kernelTools;

    private IReadOnlyList<KernelTool> BuildKernelTools() =>
    [
        new KernelTool(AIFunctionFactory.Create(ScheduleTimer, "schedule_timer",
            "Schedule a reminder for yourself: after delay_seconds, or at an ISO 8601 time with offset (\"at\"), once or repeating every repeat_seconds "
            + $"(at least {TimerService.MinRepeat.TotalSeconds:0}). When it fires you receive a \"[Timer] <text>\" event; write text as the instruction you will want then "
            + $"(e.g. \"remind the user to stretch\", \"check the TurtleBot's battery\"). At most {TimerService.MaxActive} timers are active. Returns the timer_id."),
            StepRecovery.RunAgain),
        new KernelTool(AIFunctionFactory.Create(ListTimers, "list_timers", "List the active timers (id, text, next due time, repeat) and the latest ended ones."),
            StepRecovery.RunAgain),
        new KernelTool(AIFunctionFactory.Create(CancelTimer, "cancel_timer", "Cancel an active timer by its timer_id; a repeating one stops for good."),
            StepRecovery.RunAgain),
    ];

    private string ScheduleTimer(
        [Description("What the reminder is for; you receive it as \"[Timer] <text>\".")] string text,
        [Description("Seconds from now until it fires (give this or at).")] double? delay_seconds = null,
        [Description("When it fires, ISO 8601 with offset, e.g. 2026-05-01T09:00:00+02:00 (give this or delay_seconds).")] string? at = null,
        [Description("Fire again every this many seconds; omit for a one-off.")] double? repeat_seconds = null)
    {
        try
        {
            // From a journaled step: the same id on a re-run, so the timer is not scheduled twice.
            var id = KernelStep.Current is { } step ? "timer-" + step.TaskId[..13].Replace("-", "", StringComparison.Ordinal) : null;
            var timer = timers.Schedule(text, delay_seconds, at, repeat_seconds, "kernel", id);
            return JsonSerializer.Serialize(new { ok = true, timer = timer.ToJson() });
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return "Error: " + e.Message;
        }
    }

    private string ListTimers() => JsonSerializer.Serialize(new { timers = timers.List(10).Select(t => t.ToJson()) });

    private string CancelTimer([Description("The timer to cancel.")] string timer_id)
        => timers.Cancel(timer_id, "the kernel agent") switch
        {
            (null, _) => $"Error: no timer \"{timer_id}\"; list_timers shows the timers",
            ({ } t, true) => JsonSerializer.Serialize(new { ok = true, timer = t.ToJson() }),
            ({ } t, false) => $"Error: timer \"{timer_id}\" already ended ({t.Status}); nothing to cancel",
        };
}
