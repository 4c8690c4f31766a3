using System.Diagnostics;

namespace RosaOS.Testing;

/// <summary>
/// Waits for an effect in another process (a pose reached, a log entry written) by re-reading it. Used
/// only for state that lives outside the test; in-process synchronisation uses tasks and channels.
/// </summary>
public static class Poll
{
    /// <summary>Re-evaluates <paramref name="condition"/> every <paramref name="interval"/> until it holds; throws with <paramref name="what"/> on timeout.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null, TimeSpan? interval = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var limit = timeout ?? TestTimeouts.Effect;
        var watch = Stopwatch.StartNew();
        while (!await condition())
        {
            if (watch.Elapsed > limit)
            {
                throw new TimeoutException($"Timed out after {limit.TotalSeconds} s waiting for {what}.");
            }
            await Task.Delay(interval ?? TimeSpan.FromMilliseconds(50), TestContext.Current.CancellationToken);
        }
    }

    /// <summary>Re-reads a value until it satisfies <paramref name="accept"/>, and returns it.</summary>
    public static async Task<T> ForAsync<T>(Func<Task<T>> read, Func<T, bool> accept, string what, TimeSpan? timeout = null, TimeSpan? interval = null)
    {
        ArgumentNullException.ThrowIfNull(read);
        ArgumentNullException.ThrowIfNull(accept);
        var limit = timeout ?? TestTimeouts.Effect;
        var watch = Stopwatch.StartNew();
        T value;
        while (!accept(value = await read()))
        {
            if (watch.Elapsed > limit)
            {
                throw new TimeoutException($"Timed out after {limit.TotalSeconds} s waiting for {what}; last value: {value}.");
            }
            await Task.Delay(interval ?? TimeSpan.FromMilliseconds(50), TestContext.Current.CancellationToken);
        }
        return value;
    }

    /// <summary>
    /// Re-reads a number until two readings <paramref name="interval"/> apart agree within <paramref name="tolerance"/> (e.g. a pose
    /// that trails its command by a control tick has settled), and returns the last one. The default interval, 200 ms, is
    /// longer than a simulator's control period under CI load (p99 50–100 ms): two reads with no tick between them agree
    /// without the pose having settled.
    /// </summary>
    public static async Task<double> SettledAsync(Func<Task<double>> read, string what, double tolerance, TimeSpan? timeout = null, TimeSpan? interval = null)
    {
        ArgumentNullException.ThrowIfNull(read);
        var previous = await read();
        var settled = await ForAsync(async () =>
        {
            var reading = (Before: previous, Now: await read());
            previous = reading.Now;
            return reading;
        }, r => Math.Abs(r.Now - r.Before) <= tolerance, what + " to settle", timeout, interval ?? TimeSpan.FromMilliseconds(200));
        return settled.Now;
    }
}
