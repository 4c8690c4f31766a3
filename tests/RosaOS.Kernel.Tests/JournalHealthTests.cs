using System.Diagnostics;
using System.Globalization;
using RosaOS.Hosting;
using RosaOS.Testing;
using RosaOS.Testing.Llm;
using static RosaOS.Kernel.Tests.Asker;

namespace RosaOS.Kernel.Tests;

/// <summary>The journal stays healthy: stale events expire, any backlog starts, one kernel per folder, bad rows are skipped, data is bounded and private.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class JournalHealthTests
{
    [Fact]
    public async Task A_spoken_request_older_than_its_time_to_live_is_not_run_after_a_restart_and_the_user_is_told_once()
    {
        var dataDir = TestPaths.NewTempDirectory("ttl");
        var configDir = KernelHarness.NewConfigDir();
        await using var llm = await ScriptedLlmServer.StartAsync();
        var never = new TaskCompletionSource();
        llm.When(KernelOn("[User said] open the door"), ScriptedTurn.Say("held").After(never.Task));
        llm.Fallback = ScriptedTurn.Say("ok");

        var kernel1 = await KernelHarness.StartAsync(llm, dataDir, configDir, "--pool-size", "0");
        var posted = Stopwatch.StartNew();
        await kernel1.PostJsonAsync("/stt", """{"text":"open the door"}""");
        await llm.WaitForRequestAsync(KernelOn("[User said] open the door"));
        await kernel1.CrashAsync();
        await kernel1.DisposeAsync();
        // The request is now older than the 1 s a spoken request may wait.
        await Poll.UntilAsync(() => Task.FromResult(posted.Elapsed > TimeSpan.FromSeconds(1.5)), "the request to become stale");

        await using (var kernel2 = await KernelHarness.StartAsync(llm, dataDir, configDir, "--pool-size", "0", "--speech-ttl", "1"))
        {
            using var sse = new SseReader(kernel2.Port);
            var updates = await kernel2.WaitForUpdateAsync(m => m.StartsWith("I did not act on \"open the door\" (said ", StringComparison.Ordinal));
            Assert.Contains("because it was too old", updates.Single(m => m.StartsWith("I did not act on", StringComparison.Ordinal)), StringComparison.Ordinal);
            var expired = Assert.Single(await kernel2.JournalAsync("expired"));
            Assert.Equal("[User said] open the door", expired.GetProperty("text").GetString());
            Assert.StartsWith("not run: it waited", expired.GetProperty("output").GetString(), StringComparison.Ordinal);
            Assert.Equal(1, (await kernel2.GetJsonAsync("/health")).GetProperty("events").GetProperty("expired").GetInt64());
            Assert.Single(llm.ChatRequests, r => KernelOn("[User said] open the door")(r));

            // A fresh request still runs.
            await kernel2.PostJsonAsync("/stt", """{"text":"hello"}""");
            await kernel2.WaitForUpdateAsync(m => m == "ok");
        }

        // Told once: a later start does not report it again.
        await using var kernel3 = await KernelHarness.StartAsync(llm, dataDir, configDir, "--pool-size", "0", "--speech-ttl", "1");
        Assert.Equal("ok", await kernel3.ChatAsync("anything new?"));
        var later = (await kernel3.GetJsonAsync("/updates")).GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("content").GetString()).ToList();
        Assert.DoesNotContain(later, m => m!.StartsWith("I did not act on", StringComparison.Ordinal));
        never.SetResult();
    }

    [Fact]
    public async Task Five_thousand_pending_events_do_not_prevent_start_and_run_in_journal_order()
    {
        var dataDir = TestPaths.NewTempDirectory("backlog");
        var configDir = KernelHarness.NewConfigDir();
        await using var llm = await ScriptedLlmServer.StartAsync();
        llm.Fallback = ScriptedTurn.Say("ok");
        await using (var first = await KernelHarness.StartAsync(llm, dataDir, configDir, "--pool-size", "0"))
        {
            Assert.Equal("ok", await first.ChatAsync("create the journal"));
        }
        using (var file = new JournalFile(dataDir))
        {
            var now = JournalFile.Ago(TimeSpan.Zero);
            file.ExecuteMany("INSERT INTO events (kind, payload, text, accepted_at) VALUES ('chat', '{}', $t, $a)",
                Enumerable.Range(1, 5000).Select(i => new (string, object?)[] { ("$t", $"backlog {i:0000}"), ("$a", now) }));
        }

        await using var kernel = await KernelHarness.StartAsync(llm, dataDir, configDir, "--pool-size", "0", "--chat-ttl", "3600");
        Assert.Contains("Re-running 5000 events accepted before the last stop.", kernel.Process.Output, StringComparison.Ordinal);
        // More than the in-memory queue holds have run: it was refilled from the journal, in order.
        await Poll.UntilAsync(() => Task.FromResult(llm.ChatRequests.Count(r => r.LastUserText.StartsWith("backlog ", StringComparison.Ordinal)) >= 600),
            "600 events of the backlog to run", timeout: TimeSpan.FromMinutes(3));
        var ran = llm.ChatRequests.Select(r => r.LastUserText).Where(t => t.StartsWith("backlog ", StringComparison.Ordinal)).Take(600).ToList();
        Assert.Equal(Enumerable.Range(1, 600).Select(i => $"backlog {i:0000}"), ran);
        // New events wait their turn behind the backlog, yet are accepted at once.
        var (status, _) = await kernel.PostJsonAsync("/stt", """{"text":"new while busy"}""");
        Assert.Equal(200, status);
        var health = await kernel.GetJsonAsync("/health");
        Assert.True(health.GetProperty("events").GetProperty("pending").GetInt64() > 1000);
    }

    [Fact]
    public async Task A_second_kernel_on_the_same_data_folder_refuses_to_start_and_names_the_first()
    {
        var dataDir = TestPaths.NewTempDirectory("lock");
        var configDir = KernelHarness.NewConfigDir();
        await using var llm = await ScriptedLlmServer.StartAsync();
        llm.Fallback = ScriptedTurn.Say("ok");
        // On port 0: the lock is taken before the kernel binds, and restated with the port it got, which the refusal quotes.
        var first = await KernelHarness.StartAsync(llm, dataDir, configDir, "--pool-size", "0");

        await using (var second = RosaProcess.StartRosa(["kernel", "--port", "0", "--process-port", "0", "--pool-size", "0"],
            new Dictionary<string, string?> { ["ROSAOS_DATA_DIR"] = dataDir, ["ROSAOS_CONFIG_DIR"] = configDir }))
        {
            Assert.Equal(2, await second.WaitForExitAsync());
            Assert.Contains($"rosa kernel: another kernel (pid {first.Process.Id}, started ", second.Output, StringComparison.Ordinal);
            Assert.Contains($"API http://127.0.0.1:{first.Port}) is using the data folder {dataDir}", second.Output, StringComparison.Ordinal);
        }
        Assert.Equal("ok", await first.ChatAsync("still mine?"));

        // A crash leaves no stale lock: the OS releases it with the process.
        await first.CrashAsync();
        await first.DisposeAsync();
        await using var third = await KernelHarness.StartAsync(llm, dataDir, configDir, "--pool-size", "0");
        Assert.Equal("ok", await third.ChatAsync("mine now?"));
    }

    [Fact]
    public async Task A_corrupted_history_row_and_a_corrupted_event_are_skipped_with_a_warning()
    {
        var dataDir = TestPaths.NewTempDirectory("corrupt");
        var configDir = KernelHarness.NewConfigDir();
        await using var llm = await ScriptedLlmServer.StartAsync();
        llm.Fallback = ScriptedTurn.Say("ok");
        await using (var first = await KernelHarness.StartAsync(llm, dataDir, configDir, "--pool-size", "0"))
        {
            Assert.Equal("ok", await first.ChatAsync("first words"));
            Assert.Equal("ok", await first.ChatAsync("second words"));
        }
        long corruptEvent;
        using (var file = new JournalFile(dataDir))
        {
            // A torn write, a bad disk block or a hand edit: history row 1 ("first words") is no longer a message.
            file.Execute("UPDATE history SET message='{\"role\":\"user\",\"contents\":[{\"$type\":' WHERE id=1");
            file.Execute("INSERT INTO events (kind, payload, text, accepted_at) VALUES ('chat', '{}', 'never readable', 'not a time')");
            corruptEvent = (long)file.Scalar("SELECT MAX(id) FROM events")!;
        }

        await using var kernel = await KernelHarness.StartAsync(llm, dataDir, configDir, "--pool-size", "0");
        Assert.Equal("ok", await kernel.ChatAsync("third words"));
        Assert.Contains(kernel.Process.Lines, l => l.Contains("History row 1 is corrupt and was skipped", StringComparison.Ordinal));
        Assert.Contains(kernel.Process.Lines, l => l.Contains($"Skipped a corrupt database row: event {corruptEvent} cannot be read", StringComparison.Ordinal));
        var prompt = llm.ChatRequests[^1];
        Assert.DoesNotContain(prompt.Messages, m => m.Text == "first words");
        Assert.Contains(prompt.Messages, m => m.Role == "user" && m.Text == "second words");
        Assert.Equal("corrupt", Assert.Single(await kernel.JournalAsync("corrupt")).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Retention_trims_old_rows_images_and_rotated_logs_and_the_data_folder_is_owner_only()
    {
        var dataDir = TestPaths.NewTempDirectory("retain");
        var configDir = KernelHarness.NewConfigDir();
        await using var llm = await ScriptedLlmServer.StartAsync();
        llm.Fallback = ScriptedTurn.Say("ok");
        await using (var first = await KernelHarness.StartAsync(llm, dataDir, configDir, "--pool-size", "0"))
        {
            for (var i = 0; i < 4; i++)
            {
                Assert.Equal("ok", await first.ChatAsync($"chat {i}"));
                await first.PostJsonAsync("/api/worker-tool-calls", $$"""{"worker_id":"w{{i}}","server":"reachy-mini","tool":"speak","arguments":"{}","result":"r","is_error":false,"duration_ms":1}""");
            }
        }
        var old = JournalFile.Ago(TimeSpan.FromDays(60));
        using (var file = new JournalFile(dataDir))
        {
            // The first half of everything is two months old.
            file.Execute("UPDATE events SET accepted_at=$a WHERE id<=2", ("$a", old));
            file.Execute("UPDATE history SET at=$a WHERE id<=4", ("$a", old));
            file.Execute("UPDATE audit SET at=$a WHERE worker_id IN ('w0','w1')", ("$a", old));
            file.Execute("UPDATE turn_steps SET at=$a WHERE event_id<=2", ("$a", old));
        }
        var images = Path.Combine(dataDir, "images");
        var oldCapture = Touch(Path.Combine(images, "reachy", "reachy_old.jpg"), TimeSpan.FromDays(60));
        var newCapture = Touch(Path.Combine(images, "ros", "turtlebot", "new.jpg"), TimeSpan.Zero);
        var person = Touch(Path.Combine(images, "people", "ada", "ada_1.jpg"), TimeSpan.FromDays(400));
        var oldLog = Touch(Path.Combine(dataDir, "logs", "kernel.3.log"), TimeSpan.FromDays(60));
        var currentLog = Touch(Path.Combine(dataDir, "logs", "kernel.log"), TimeSpan.FromDays(60));
        File.SetUnixFileMode(dataDir, (UnixFileMode)0b111_101_101);

        await using var kernel = await KernelHarness.StartAsync(llm, dataDir, configDir, "--pool-size", "0", "--keep-days", "30");
        Assert.Contains(kernel.Process.Lines, l => l.Contains("Retention removed 2 events, 4 history rows, 2 audit rows, ", StringComparison.Ordinal)
            && l.Contains(", 1 images (", StringComparison.Ordinal) && l.Contains("1 old log files", StringComparison.Ordinal));
        Assert.Equal(["chat 3", "chat 2"], (await kernel.JournalAsync()).Select(e => e.GetProperty("text").GetString()));
        Assert.Equal(["w3", "w2"], (await kernel.GetJsonAsync("/api/audit")).EnumerateArray().Select(a => a.GetProperty("worker_id").GetString()));
        Assert.False(File.Exists(oldCapture));
        Assert.True(File.Exists(newCapture));
        Assert.True(File.Exists(person), "the people registry is the user's and is never trimmed");
        Assert.False(File.Exists(oldLog));
        Assert.True(File.Exists(currentLog), "the log a writer has open is rotated by size, not deleted");
        using (var file = new JournalFile(dataDir))
        {
            Assert.Equal(0, file.Count("SELECT COUNT(*) FROM turn_steps WHERE event_id<=2"));
            Assert.Equal(4, file.Count("SELECT COUNT(*) FROM history"));
        }

        // Owner-only: the folder, the database and every file in it.
        Assert.Equal((UnixFileMode)0b111_000_000, File.GetUnixFileMode(dataDir));
        foreach (var path in new[] { Path.Combine(dataDir, "rosaos.db"), Path.Combine(dataDir, "kernel.lock"), newCapture, person, currentLog })
        {
            Assert.Equal((UnixFileMode)0b110_000_000, File.GetUnixFileMode(path));
        }
    }

    [Fact]
    public void Logs_rotate_by_size_keep_a_bounded_number_of_files_and_lose_no_line()
    {
        var dir = TestPaths.NewTempDirectory("logs");
        var path = Path.Combine(dir, "kernel.log");
        using (var log = new RotatingLogFile(path, new LogRotation(MaxBytes: 2048, KeepFiles: 2)))
        {
            for (var i = 0; i < 400; i++)
            {
                log.WriteLine($"line {i:000} " + new string('x', 20));
            }
        }
        Assert.Equal(["kernel.1.log", "kernel.2.log", "kernel.log"], Directory.GetFiles(dir).Select(Path.GetFileName).Order());
        Assert.All(Directory.GetFiles(dir), f => Assert.True(new FileInfo(f).Length <= 2048, f));
        Assert.All(Directory.GetFiles(dir), f => Assert.Equal((UnixFileMode)0b110_000_000, File.GetUnixFileMode(f)));
        // The newest lines are all there, in order, across the current file and the kept ones.
        var kept = new[] { "kernel.2.log", "kernel.1.log", "kernel.log" }.SelectMany(f => File.ReadAllLines(Path.Combine(dir, f))).ToList();
        var first = int.Parse(kept[0][5..8], CultureInfo.InvariantCulture);
        Assert.Equal(Enumerable.Range(first, 400 - first).Select(i => $"line {i:000} " + new string('x', 20)), kept);
        Assert.True(first > 0, "older lines went with the files beyond the limit");
    }

    private static string Touch(string path, TimeSpan age)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "x");
        File.SetUnixFileMode(path, (UnixFileMode)0b110_100_100);
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow - age);
        return path;
    }
}
