using System.Diagnostics;

namespace RosaOS.Simulator.Robot;

/// <summary>
/// A dedicated thread that calls a tick at a fixed period against absolute deadlines: it sleeps for the
/// bulk of the wait and, while the tick says timing matters (it returns true: something moves), yields
/// through the last ~1.5 ms, because timer-based waits on a loaded 2-core machine slip by whole milliseconds.
/// While nothing moves it only sleeps: that spin was most of the idle simulator's CPU (issue 19), and a pose
/// that does not change cannot be late. Late ticks are not replayed (a robot skips, it does not catch up).
/// </summary>
internal sealed class RealtimeLoop : IDisposable
{
    private static readonly long s_spinTicks = Stopwatch.Frequency * 15 / 10_000;

    private readonly Thread _thread;
    private readonly long _periodTicks;
    private readonly Func<long, bool> _tick;
    private volatile bool _stopping;

    public RealtimeLoop(string name, TimeSpan period, Func<long, bool> tick)
    {
        _periodTicks = (long)(period.TotalSeconds * Stopwatch.Frequency);
        _tick = tick;
        _thread = new Thread(Run) { Name = name, IsBackground = true, Priority = ThreadPriority.Highest };
    }

    public void Start() => _thread.Start();

    public void Dispose()
    {
        _stopping = true;
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
            var precise = _tick(n++);
            next += _periodTicks;
            var now = Stopwatch.GetTimestamp();
            if (now - next > _periodTicks)
            {
                next = now;
            }
            while (true)
            {
                var remaining = next - Stopwatch.GetTimestamp();
                if (remaining <= 0)
                {
                    break;
                }
                if (!precise)
                {
                    Thread.Sleep(TimeSpan.FromSeconds((double)remaining / Stopwatch.Frequency));
                    continue;
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
    }
}
