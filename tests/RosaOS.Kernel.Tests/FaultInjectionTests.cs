using System.Globalization;
using RosaOS.Kernel.Tests.Faults;
using RosaOS.Testing;
using RosaOS.Testing.Llm;

namespace RosaOS.Kernel.Tests;

/// <summary>
/// Prove it by killing it: the scripted conversation of <see cref="FaultRun"/> with the kernel, a worker,
/// `rosa reachy` and the rosbridge killed at every fault point. ROSA_FAULT_ROUNDS (default: one round per
/// point) and ROSA_FAULT_SEED make the longer run of bench/faults/run.sh.
/// </summary>
public sealed class FaultInjectionTests
{
    [Fact]
    public async Task Killing_any_part_at_any_point_never_runs_a_task_twice_or_loses_an_answer()
    {
        var rounds = int.TryParse(Environment.GetEnvironmentVariable("ROSA_FAULT_ROUNDS"), NumberStyles.None, CultureInfo.InvariantCulture, out var r) ? r : 0;
        var seed = int.TryParse(Environment.GetEnvironmentVariable("ROSA_FAULT_SEED"), NumberStyles.None, CultureInfo.InvariantCulture, out var s)
            ? s : Random.Shared.Next(1, 1_000_000);
        var run = new FaultRun(rounds, seed);
        await using var llm = await ScriptedLlmServer.StartAsync();

        var (records, violations) = await run.RunAsync(llm);

        var report = run.Describe(records);
        TestLog.Write(report);
        await File.WriteAllTextAsync(Path.Combine(TestPaths.TestOutputDir, "fault-injection.txt"),
            report + (violations.Count == 0 ? "no violations\n" : string.Join("\n", violations) + "\n"), TestContext.Current.CancellationToken);
        Assert.Equal(run.Plan.Count, records.Count);
        Assert.True(violations.Count == 0, $"seed {seed}:\n" + string.Join("\n", violations));
    }
}
