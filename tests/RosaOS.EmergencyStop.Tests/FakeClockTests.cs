using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using RosaOS.Hosting.Watches;
using RosaOS.Testing;

namespace RosaOS.EmergencyStop.Tests;

/// <summary>
/// Time-driven behaviour on <see cref="FakeTimeProvider"/>, in process and in milliseconds: a driver's approval timeout, and a
/// watch's expiry (time-to-live) and debounce. Each asserts the boundary: nothing happens a moment before, it happens at.
/// </summary>
public sealed class FakeClockTests
{
    private static readonly DateTimeOffset s_start = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);

    // A guard against a hang only; the fake clock, not this, decides every outcome.
    private static readonly TimeSpan s_guard = TimeSpan.FromSeconds(10);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_approval_nobody_decides_is_refused_at_its_timeout_and_not_before()
    {
        var time = new FakeTimeProvider(s_start);
        var gate = new ApprovalGate("reachy", new ApprovalPolicy(TimeSpan.FromSeconds(30), (_, _) => "moves"), time, NullLogger<ApprovalGate>.Instance);

        var waiting = gate.WaitAsync("goto_target", new Dictionary<string, JsonElement>(), "moving needs a person's approval", "worker-1", Ct);
        var pending = Assert.Single(gate.List().Pending);
        Assert.Equal(s_start.AddSeconds(30), pending.ExpiresAt);

        time.Advance(TimeSpan.FromSeconds(29.9));
        Assert.False(waiting.IsCompleted, "the call was decided before its 30 s timeout");
        Assert.Single(gate.List().Pending);

        time.Advance(TimeSpan.FromSeconds(0.1));
        var refusal = await waiting.WaitAsync(s_guard, Ct);

        Assert.NotNull(refusal);
        Assert.Contains("no one approved within 30 s", refusal, StringComparison.Ordinal);
        Assert.Empty(gate.List().Pending);
        var outcome = Assert.Single(gate.List().Recent);
        Assert.Equal("timed_out", outcome.Decision);
        Assert.Equal(s_start.AddSeconds(30), outcome.At);
        // Too late to approve: the call did not run and cannot be run by a late click.
        var (late, error) = gate.Decide(pending.Id, approve: true, "ui", null, null);
        Assert.Null(late);
        Assert.Contains("timed out", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_approval_given_before_the_timeout_lets_the_call_run()
    {
        var time = new FakeTimeProvider(s_start);
        var gate = new ApprovalGate("reachy", new ApprovalPolicy(TimeSpan.FromSeconds(30), (_, _) => "moves"), time, NullLogger<ApprovalGate>.Instance);
        var waiting = gate.WaitAsync("goto_target", new Dictionary<string, JsonElement>(), "moving needs a person's approval", "worker-1", Ct);

        time.Advance(TimeSpan.FromSeconds(29));
        var (outcome, error) = gate.Decide(Assert.Single(gate.List().Pending).Id, approve: true, "ui", null, null);

        Assert.Null(error);
        Assert.Equal("approved", outcome!.Decision);
        Assert.Null(await waiting.WaitAsync(s_guard, Ct));
        // The timeout passing later changes nothing.
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal("approved", Assert.Single(gate.List().Recent).Decision);
    }

    [Fact]
    public async Task A_watch_ends_at_its_expiry_on_the_registrys_clock_and_not_before()
    {
        var time = new FakeTimeProvider(s_start);
        await using var watches = new ClockWatches(time);
        var spec = watches.Add(ClockWatches.New(time, expiresIn: TimeSpan.FromMinutes(5), debounceSeconds: 0));
        await watches.Started.Task.WaitAsync(s_guard, Ct);

        time.Advance(TimeSpan.FromMinutes(5) - TimeSpan.FromMilliseconds(1));
        Assert.False(watches.Ended.Task.IsCompleted, "the watch stopped before it expired");
        Assert.Equal(spec.Id, Assert.Single(watches.List()).Id);

        time.Advance(TimeSpan.FromMilliseconds(1));
        await watches.Ended.Task.WaitAsync(s_guard, Ct);
        // Removal follows the end of the watch's loop on its own task: wait for that state, not for time.
        Assert.True(SpinWait.SpinUntil(() => watches.List().Count == 0, s_guard), "the expired watch is still listed");
    }

    [Fact]
    public async Task A_watch_fires_at_most_once_per_debounce()
    {
        var time = new FakeTimeProvider(s_start);
        await using var watches = new ClockWatches(time);
        var spec = watches.Add(ClockWatches.New(time, expiresIn: TimeSpan.FromHours(1), debounceSeconds: 10));

        watches.Observe(spec, "first");
        watches.Observe(spec, "same instant");
        time.Advance(TimeSpan.FromSeconds(9.999));
        watches.Observe(spec, "just inside the debounce");
        Assert.Equal(1, spec.Sequence);

        time.Advance(TimeSpan.FromMilliseconds(1));
        watches.Observe(spec, "debounce over");
        Assert.Equal(2, spec.Sequence);
        Assert.Equal(s_start.AddSeconds(10), spec.LastFiredAt);
    }

    private sealed class ClockWatch : Watch;

    /// <summary>A registry whose condition never holds by itself: the test fires it, and sees when the registry ends it.</summary>
    private sealed class ClockWatches(TimeProvider time)
        : WatchRegistry<ClockWatch>("clockbot", new WatchSettings(new Uri("http://127.0.0.1:9/"), TestPaths.NewTempDirectory("fake-clock-watches")),
            time, NullLogger.Instance)
    {
        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Ended { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public static ClockWatch New(TimeProvider time, TimeSpan expiresIn, double debounceSeconds) => new()
        {
            Id = Watch.NewId(),
            Condition = "clock",
            DebounceSeconds = debounceSeconds,
            ExpiresAt = time.GetUtcNow() + expiresIn,
            Text = "the clock watch",
            Owner = "test",
            CreatedAt = time.GetUtcNow(),
        };

        public void Observe(ClockWatch spec, string what) => Fire(spec, what);

        protected override async Task RunAsync(ClockWatch watch, CancellationToken cancellationToken)
        {
            Started.TrySetResult();
            try
            {
                // A watch that runs until cancelled, on the fake clock: no real time passes.
                await Task.Delay(Timeout.InfiniteTimeSpan, Time, cancellationToken);
            }
            finally
            {
                Ended.TrySetResult();
            }
        }
    }
}
