using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using RosaOS.Testing;

namespace RosaOS.Kernel.Tests;

/// <summary>Timer logic on a fake clock: when they fire, how often, what a restart does, and what is refused.</summary>
public sealed class TimerTests
{
    private static readonly DateTimeOffset s_start = new(2026, 5, 1, 8, 0, 0, TimeSpan.Zero);

    private sealed class Kernel : IDisposable
    {
        public Kernel(string data, FakeTimeProvider time)
        {
            Database = new KernelDatabase(data, time);
            Intake = new EventIntake(Database, new EventHub());
            Timers = new TimerService(Database, Intake, new EventHub(), time, NullLogger<TimerService>.Instance);
        }

        public KernelDatabase Database { get; }

        public EventIntake Intake { get; }

        public TimerService Timers { get; }

        public JournalRow[] TimerEvents => [.. Database.RecentEvents(1000, null).Where(e => e.Kind == "timer")];

        public void Dispose() => Database.Dispose();
    }

    [Fact]
    public void A_one_off_timer_fires_once_at_its_due_time_as_a_journaled_Timer_event()
    {
        var time = new FakeTimeProvider(s_start);
        using var kernel = new Kernel(TestPaths.NewTempDirectory("timers"), time);
        var timer = kernel.Timers.Schedule("remind the user to stretch", 600, null, null, "kernel");

        time.Advance(TimeSpan.FromSeconds(599));
        Assert.Equal(0, kernel.Timers.FireDue());
        Assert.Empty(kernel.TimerEvents);

        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, kernel.Timers.FireDue());
        Assert.Equal(0, kernel.Timers.FireDue());
        var fired = Assert.Single(kernel.TimerEvents);
        Assert.StartsWith("[Timer] remind the user to stretch (timer_id=" + timer.Id, fired.Text, StringComparison.Ordinal);
        Assert.Equal("pending", fired.Status);
        Assert.Contains(fired.Id, kernel.Database.PendingIds(0, 10));
        var after = kernel.Database.GetTimer(timer.Id)!;
        Assert.Equal(("done", 1), (after.Status, after.Fired));

        time.Advance(TimeSpan.FromDays(1));
        Assert.Equal(0, kernel.Timers.FireDue());
        Assert.Single(kernel.TimerEvents);
    }

    [Fact]
    public void A_repeating_timer_keeps_its_rhythm_and_fires_once_for_slots_missed_while_stopped()
    {
        var time = new FakeTimeProvider(s_start);
        using var kernel = new Kernel(TestPaths.NewTempDirectory("timers"), time);
        var timer = kernel.Timers.Schedule("check the TurtleBot's battery", null, "2026-05-01T09:00:00+00:00", 3600, "kernel");
        Assert.Equal(s_start.AddHours(1), timer.DueAt);

        time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(1, kernel.Timers.FireDue());
        Assert.Equal(s_start.AddHours(2), kernel.Database.GetTimer(timer.Id)!.DueAt);

        // Three and a half hours without a look (the kernel was stopped): one firing, then the next slot on the hour.
        time.Advance(TimeSpan.FromHours(3.5));
        Assert.Equal(1, kernel.Timers.FireDue());
        var after = kernel.Database.GetTimer(timer.Id)!;
        Assert.Equal(("active", 2, s_start.AddHours(5)), (after.Status, after.Fired, after.DueAt));
        Assert.Contains("fired 150 min late because the kernel was stopped", kernel.TimerEvents[0].Text, StringComparison.Ordinal);
        Assert.Equal(2, kernel.TimerEvents.Length);
    }

    [Fact]
    public void Timers_survive_a_restart_and_one_due_while_stopped_fires_once_never_twice()
    {
        var data = TestPaths.NewTempDirectory("timers");
        var time = new FakeTimeProvider(s_start);
        string id;
        using (var first = new Kernel(data, time))
        {
            id = first.Timers.Schedule("water the plants", 60, null, null, "kernel").Id;
        }
        time.Advance(TimeSpan.FromMinutes(10));
        using (var second = new Kernel(data, time))
        {
            Assert.Equal("active", Assert.Single(second.Timers.List(), t => t.Id == id).Status);
            Assert.Equal(1, second.Timers.FireDue());
        }
        using (var third = new Kernel(data, time))
        {
            Assert.Equal(0, third.Timers.FireDue());
            Assert.Single(third.TimerEvents);
            Assert.Equal("done", third.Database.GetTimer(id)!.Status);
        }
    }

    [Fact]
    public void A_cancelled_timer_never_fires_and_a_rescheduled_step_id_is_not_added_twice()
    {
        var time = new FakeTimeProvider(s_start);
        using var kernel = new Kernel(TestPaths.NewTempDirectory("timers"), time);
        var timer = kernel.Timers.Schedule("say good night", 60, null, 86_400, "kernel", "timer-step-1");
        Assert.Equal(timer, kernel.Timers.Schedule("say good night", 60, null, 86_400, "kernel", "timer-step-1"));
        Assert.Single(kernel.Timers.List());

        var cancelled = kernel.Timers.Cancel(timer.Id, "a person (ui)");
        Assert.Equal(("cancelled", true), (cancelled.Timer!.Status, cancelled.Cancelled));
        Assert.False(kernel.Timers.Cancel(timer.Id, "again").Cancelled);
        Assert.Null(kernel.Timers.Cancel("timer-unknown", "a person (ui)").Timer);
        time.Advance(TimeSpan.FromDays(3));
        Assert.Equal(0, kernel.Timers.FireDue());
        Assert.Empty(kernel.TimerEvents);
        Assert.Equal("cancelled by a person (ui)", kernel.Database.GetTimer(timer.Id)!.EndReason);
    }

    [Theory]
    [InlineData("", 60.0, null, null, "\"text\"")]
    [InlineData("x", null, null, null, "\"delay_seconds\" (seconds from now) or \"at\"")]
    [InlineData("x", 60.0, "2026-05-01T09:00:00Z", null, "not both")]
    [InlineData("x", 0.0, null, null, "\"delay_seconds\" must be 1 to")]
    [InlineData("x", 1e12, null, null, "\"delay_seconds\" must be 1 to")]
    [InlineData("x", null, "tomorrow at nine", null, "\"at\" must be an ISO 8601 time with an offset")]
    [InlineData("x", null, "2026-05-01T09:00:00", null, "\"at\" must be an ISO 8601 time with an offset")]
    [InlineData("x", null, "2026-04-30T09:00:00Z", null, "in the past")]
    [InlineData("x", null, "2028-05-01T09:00:00Z", null, "more than 366 days ahead")]
    [InlineData("x", 60.0, null, 10.0, "\"repeat_seconds\" must be 60 to")]
    public void Bad_arguments_are_refused_naming_the_argument(string text, double? delay, string? at, double? repeat, string expected)
    {
        using var kernel = new Kernel(TestPaths.NewTempDirectory("timers"), new FakeTimeProvider(s_start));
        var error = Assert.Throws<ArgumentException>(() => kernel.Timers.Schedule(text, delay, at, repeat, "kernel"));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Empty(kernel.Timers.List());
    }

    [Fact]
    public void The_number_of_active_timers_is_capped()
    {
        using var kernel = new Kernel(TestPaths.NewTempDirectory("timers"), new FakeTimeProvider(s_start));
        for (var i = 0; i < TimerService.MaxActive; i++)
        {
            kernel.Timers.Schedule($"reminder {i}", 60 + i, null, null, "kernel");
        }
        var error = Assert.Throws<InvalidOperationException>(() => kernel.Timers.Schedule("one too many", 60, null, null, "kernel"));
        Assert.Contains($"the most allowed is {TimerService.MaxActive}", error.Message, StringComparison.Ordinal);
        kernel.Timers.Cancel(kernel.Timers.List()[0].Id, "test");
        Assert.Equal("active", kernel.Timers.Schedule("now there is room", 60, null, null, "kernel").Status);
    }
}
