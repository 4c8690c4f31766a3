using RosaOS.ReachyMini.Protocol;
using RosaOS.Testing;

namespace RosaOS.Mcp.ReachyMini.Tests;

/// <summary>speak through a real MCP client; what the robot said is read from the simulated speaker's log.</summary>
public sealed class SpeakToolTests(SimFixture sim) : IClassFixture<SimFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<long> LastIdAsync() => (await sim.Daemon.GetSpeakerLogAsync(null, Ct)).Select(e => e.Id).DefaultIfEmpty(0).Max();

    private async Task<IReadOnlyList<SpeakerLogEntry>> SinceAsync(long id) => await sim.Daemon.GetSpeakerLogAsync(id, Ct);

    [Fact]
    public async Task Speak_PlaysEspeakAudioOfPlausibleLength_WithTheWords()
    {
        await using var client = await McpTestClient.ConnectAsync(sim.McpUrl, Ct);
        var since = await LastIdAsync();

        var (text, isError) = await client.CallAsync("speak", new() { ["text"] = "Hello, I am Reachy Mini.", ["wait_until_spoken"] = true });

        Assert.False(isError, text);
        Assert.Contains("espeak-ng", text, StringComparison.Ordinal);
        var entry = Assert.Single(await SinceAsync(since));
        Assert.Equal("Hello, I am Reachy Mini.", entry.Text);
        Assert.InRange(entry.DurationS, 1.0, 4.0);
        Assert.Equal(1, entry.Channels);
        Assert.False(entry.Interrupted);
        Assert.NotNull(entry.EndedAt);
    }

    [Fact]
    public async Task Speak_LongText_IsSplitInChunksPlayedInOrder()
    {
        await using var client = await McpTestClient.ConnectAsync(sim.McpUrl, Ct);
        var since = await LastIdAsync();
        var sentences = Enumerable.Range(1, 6).Select(i => $"Sentence {i} of a long answer.").ToArray();

        var (text, isError) = await client.CallAsync("speak", new() { ["text"] = string.Join(" ", sentences), ["wait_until_spoken"] = true });

        Assert.False(isError, text);
        var entries = await SinceAsync(since);
        Assert.True(entries.Count >= 2, $"expected several chunks, got {entries.Count}");
        Assert.Equal(string.Join(" ", sentences), string.Join(" ", entries.Select(e => e.Text)));
        Assert.All(entries, e => Assert.InRange(e.Text!.Length, 1, 150));
        for (var i = 1; i < entries.Count; i++)
        {
            Assert.True(entries[i].StartedAt >= entries[i - 1].EndedAt, "chunks overlap");
        }
    }

    [Fact]
    public async Task Speak_FromSeveralClientsAtOnce_IsSpokenOneAtATimeInArrivalOrder()
    {
        var since = await LastIdAsync();
        var clients = new List<ModelContextProtocol.Client.McpClient>();
        try
        {
            var calls = new List<Task<(string Text, bool IsError)>>();
            foreach (var word in new[] { "First worker speaking.", "Second worker speaking.", "Third worker speaking." })
            {
                var client = await McpTestClient.ConnectAsync(sim.McpUrl, Ct);
                clients.Add(client);
                calls.Add(client.CallAsync("speak", new() { ["text"] = word, ["wait_until_spoken"] = true }));
                // Arrival order is the order of requests reaching the server. Kept: the speech queue is not observable from outside
                // (the call blocks until spoken), so 150 ms between independent clients' requests is what orders them.
                await Task.Delay(150, Ct);
            }
            var results = await Task.WhenAll(calls);

            Assert.All(results, r => Assert.False(r.IsError, r.Text));
            var entries = await SinceAsync(since);
            Assert.Equal(["First worker speaking.", "Second worker speaking.", "Third worker speaking."], entries.Select(e => e.Text));
            for (var i = 1; i < entries.Count; i++)
            {
                Assert.True(entries[i].StartedAt >= entries[i - 1].EndedAt, "utterances overlap");
            }
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Speak_ForcefullyInterrupt_StopsCurrent_DropsQueued_AndSpeaksAtOnce()
    {
        await using var a = await McpTestClient.ConnectAsync(sim.McpUrl, Ct);
        await using var b = await McpTestClient.ConnectAsync(sim.McpUrl, Ct);
        await using var c = await McpTestClient.ConnectAsync(sim.McpUrl, Ct);
        var since = await LastIdAsync();
        const string Long = "I am going to talk for quite a long time about the weather, the robots on the desk, and everything else that comes to mind today.";

        var first = a.CallAsync("speak", new() { ["text"] = Long, ["wait_until_spoken"] = true });
        await Poll.UntilAsync(async () => (await SinceAsync(since)).Count > 0, "the first text to start playing");
        var second = b.CallAsync("speak", new() { ["text"] = "I was queued behind it.", ["wait_until_spoken"] = true });
        // Kept: the queued call is not observable until it plays; 200 ms lets it reach the queue before the interruption.
        await Task.Delay(200, Ct);
        var (urgent, urgentError) = await c.CallAsync("speak", new() { ["text"] = "Stop! Urgent message.", ["forcefully_interrupt"] = true, ["wait_until_spoken"] = true });
        var (firstText, _) = await first;
        var (secondText, _) = await second;

        Assert.False(urgentError, urgent);
        Assert.Contains("Interrupted", firstText, StringComparison.Ordinal);
        Assert.Contains("Not said", secondText, StringComparison.Ordinal);
        var entries = await SinceAsync(since);
        Assert.True(entries[0].Interrupted);
        Assert.DoesNotContain(entries, e => e.Text == "I was queued behind it.");
        Assert.Equal("Stop! Urgent message.", entries[^1].Text);
        Assert.False(entries[^1].Interrupted);
    }

    [Fact]
    public async Task Speak_AfterAnInterruption_TheQueueKeepsWorking()
    {
        await using var client = await McpTestClient.ConnectAsync(sim.McpUrl, Ct);
        var since = await LastIdAsync();

        var (text, isError) = await client.CallAsync("speak", new() { ["text"] = "Back to normal.", ["wait_until_spoken"] = true });

        Assert.False(isError, text);
        Assert.Equal("Back to normal.", (await SinceAsync(since)).Single().Text);
    }

    [Fact]
    public async Task Speak_ReturnsOnceQueued_AndTextsFromSeveralWorkersAreSpokenInArrivalOrder()
    {
        var since = await LastIdAsync();
        var clients = new List<ModelContextProtocol.Client.McpClient>();
        try
        {
            var answers = new List<string>();
            foreach (var words in new[] { "Queued first, a sentence of a few words.", "Queued second.", "Queued third." })
            {
                var client = await McpTestClient.ConnectAsync(sim.McpUrl, Ct);
                clients.Add(client);
                var (text, isError) = await client.CallAsync("speak", new() { ["text"] = words });
                Assert.False(isError, text);
                answers.Add(text);
            }

            // All three answers came back while the first text was still being spoken (it lasts about 2.5 s).
            Assert.StartsWith("Queued", answers[0], StringComparison.Ordinal);
            Assert.Contains("behind", answers[2], StringComparison.Ordinal);
            Assert.True((await SinceAsync(since)).Count < 3, "speak waited for the audio");
            var entries = await Poll.ForAsync(() => SinceAsync(since), e => e.Count >= 3, "the three texts spoken");
            Assert.Equal(["Queued first, a sentence of a few words.", "Queued second.", "Queued third."], entries.Select(e => e.Text));
            for (var i = 1; i < entries.Count; i++)
            {
                Assert.True(entries[i].StartedAt >= entries[i - 1].EndedAt, "utterances overlap");
            }
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Speak_TenSentences_StartsAsSoonAsOne_BecauseTheFirstPlaysWhileTheRestIsSynthesised()
    {
        await using var client = await McpTestClient.ConnectAsync(sim.McpUrl, Ct);
        async Task<(TimeSpan FirstAudio, IReadOnlyList<SpeakerLogEntry> Entries)> FirstAudioAsync(string text)
        {
            var since = await LastIdAsync();
            var asked = DateTimeOffset.UtcNow;
            var (answer, isError) = await client.CallAsync("speak", new() { ["text"] = text });
            Assert.False(isError, answer);
            var first = await Poll.ForAsync(() => SinceAsync(since), e => e.Count > 0, "the first audio");
            var entries = await Poll.ForAsync(() => SinceAsync(since), e => string.Join(" ", e.Select(x => x.Text)) == text && e[^1].EndedAt is not null, "the whole text spoken");
            return (first[0].StartedAt - asked, entries);
        }

        var one = await FirstAudioAsync("This is one sentence.");
        var sentences = Enumerable.Range(1, 10).Select(i => $"This is sentence number {i} of a long reply.").ToArray();
        var ten = await FirstAudioAsync(string.Join(" ", sentences));

        TestContext.Current.SendDiagnosticMessage($"first audio: one sentence {one.FirstAudio.TotalMilliseconds:0} ms, ten sentences {ten.FirstAudio.TotalMilliseconds:0} ms");
        // The ten sentences were spoken as several chunks, and the first chunk was playing long before the last was made:
        // its playback started before the previous chunk's playback ended plus its own synthesis, i.e. time to first audio
        // does not grow with the reply.
        Assert.True(ten.Entries.Count >= 3, $"expected several chunks, got {ten.Entries.Count}");
        Assert.True(ten.Entries[0].EndedAt < ten.Entries[^1].StartedAt, "the first chunk was not played before the last");
        Assert.True(ten.FirstAudio < one.FirstAudio * 3 + TimeSpan.FromSeconds(0.5),
            $"ten sentences took {ten.FirstAudio.TotalMilliseconds:0} ms to the first audio, one took {one.FirstAudio.TotalMilliseconds:0} ms");
    }
}
