using System.Diagnostics;

namespace RosaOS.Simulator.Robot;

/// <summary>What a tick asks of the loop: run the next tick after <paramref name="Periods"/> periods, and keep exact time or not.</summary>
internal readonly record struct LoopPlan(int Periods, bool Precise);

/// <summary>
/// A dedicated thread that calls a tick against absolute deadlines at a fixed period. While the tick says timing
/// matters (something moves) it sleeps for the bulk of the wait and yields through the last ~1.5 ms, because
/// timer-based waits on a loaded 2-core machine slip by whole milliseconds. While nothing moves it only waits,
/// for as many periods as the tick asks, and <see cref="Wake"/> ends the wait at once: that spin and the wake-ups
/// with nothing to do were most of the idle simulator's CPU (issue 19). Late ticks are not replayed (a robot
/// skips, it does not catch up).
/// </summary>
internal sealed class RealtimeLoop : IDisposable
{
    private static readonly long s_spinTicks = Stopwatch.Frequency * 15 / 10_000;

    private readonly Thread _thread;
    private readonly long _periodTicks;
    private readonly Func<long, LoopPlan> _tick;
    // No spinning before blocking: the default spin made a 20 ms wait last 200 ms on a loaded 2-core machine (measured).
    private readonly ManualResetEventSlim _wake = new(false, spinCount: 0);
    private volatile bool _stopping;

    public RealtimeLoop(string name, TimeSpan period, Func<long, LoopPlan> tick)
    {
        _periodTicks = (long)(period.TotalSeconds * Stopwatch.Frequency);
        _tick = tick;
        _thread = new Thread(Run) { Name = name, IsBackground = true, Priority = ThreadPriority.Highest };
    }

    public void Start() => _thread.Start();

    /// <summary>Something changed (a move, a target): an idle wait ends and the next tick runs now.</summary>
    public void Wake() => _wake.Set();

    public void Dispose()
    {
        _stopping = true;
        _wake.Set();
        if (_thread.IsAlive && Thread.CurrentThread != _thread)
        {
            _thread.Join(TimeSpan.FromSeconds(2));
        }
    }

    private void Run()
    {
        var next = Stopwatch.GetTimestamp();
        long n = 0;
        while (!_stopping)
        {
            var plan = _tick(n);
            var periods = Math.Max(plan.Periods, 1);
            n += periods;
            next += _periodTicks * periods;
            var now = Stopwatch.GetTimestamp();
            if (now - next > _periodTicks)
            {
                next = now;
            }
            if (!plan.Precise)
            {
                var remaining = next - now;
                if (remaining > 0 && _wake.Wait(TimeSpan.FromSeconds((double)remaining / Stopwatch.Frequency)))
                {
                    _wake.Reset();
                    next = Stopwatch.GetTimestamp();
                }
                continue;
            }
            // A change while moving needs no early tick: the next one is at most a period away.
            _wake.Reset();
            while (true)
            {
                var remaining = next - Stopwatch.GetTimestamp();
                if (remaining <= 0)
                {
                    break;
                }
                if (remaining > s_spinTicks)
                {
                    Thread.Sleep(TimeSpan.FromSeconds((double)(remaining - s_spinTicks) / Stopwatch.Frequency));
                }
                else
                {
                    Thread.Yield();
                }
            }
        }
        _wake.Dispose();
    }
}
