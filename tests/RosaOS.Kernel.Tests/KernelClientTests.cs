using RosaOS.Kernel.Contracts;
using RosaOS.Testing;
using RosaOS.Testing.Llm;

namespace RosaOS.Kernel.Tests;

/// <summary>The one kernel client's retry policy against a real kernel: what it repeats, and that the kernel takes it once.</summary>
public sealed class KernelClientTests
{
    [Fact]
    public async Task A_speech_post_whose_answer_is_lost_is_sent_again_with_its_key_and_journaled_once()
    {
        await using var llm = await ScriptedLlmServer.StartAsync();
        llm.Fallback = ScriptedTurn.Say("ok");
        await using var kernel = await KernelHarness.StartAsync(llm, extraArgs: ["--pool-size", "0"]);
        using var handler = new LoseFirstAnswer();
        using var http = new HttpClient(handler);
        var client = new KernelClient(http, new KernelClientOptions
        {
            BaseAddress = new Uri($"http://127.0.0.1:{kernel.Port}"), Attempts = 3, FirstDelay = TimeSpan.FromMilliseconds(50),
        });

        var reply = await client.PostSttAsync(new SttRequest("open the door"), "stt:lost-answer", null, TestContext.Current.CancellationToken);

        Assert.True(reply.Success, reply.Body);
        Assert.Equal(2, handler.Sent);
        Assert.Single(await kernel.JournalAsync(), e => e.GetProperty("text").GetString() == "[User said] open the door");
    }

    [Fact]
    public async Task A_refused_post_without_a_key_is_not_sent_again_but_a_refused_connection_is()
    {
        await using var llm = await ScriptedLlmServer.StartAsync();
        llm.Fallback = ScriptedTurn.Say("ok");
        await using var kernel = await KernelHarness.StartAsync(llm, extraArgs: ["--pool-size", "0"]);
        using var handler = new LoseFirstAnswer();
        using var http = new HttpClient(handler);
        var client = new KernelClient(http, new KernelClientOptions
        {
            BaseAddress = new Uri($"http://127.0.0.1:{kernel.Port}"), Attempts = 3, FirstDelay = TimeSpan.FromMilliseconds(50),
        });

        // /chat takes no key: after a lost answer the turn may have run, so it is not sent a second time …
        await Assert.ThrowsAsync<HttpRequestException>(() => client.ChatAsync(new ChatRequest("wave once"), TestContext.Current.CancellationToken));
        Assert.Equal(1, handler.Sent);
        // … and a 4xx is final even with a key.
        var refused = await client.PostSttAsync(new SttRequest(new string('x', 100_000)), "stt:too-long", null, TestContext.Current.CancellationToken);
        Assert.Equal((400, 2), (refused.Status, handler.Sent));
        Assert.Contains("\"text\" is 100000 characters", refused.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_chat_sent_while_the_kernel_restarts_reaches_the_new_kernel_exactly_once()
    {
        await using var llm = await ScriptedLlmServer.StartAsync();
        llm.Fallback = ScriptedTurn.Say("waving");
        // Port 0 at the first start; a restart takes the ports it got, as rosa up restarts a kernel where its clients look.
        var (port, processPort) = (0, 0);
        var data = TestPaths.NewTempDirectory("data");
        var config = KernelHarness.NewConfigDir();
        await using (var first = await KernelHarness.StartOnAsync(port, processPort, llm, data, config, "--pool-size", "0"))
        {
            (port, processPort) = (first.Port, first.ProcessPort);
            await first.ChatAsync("hello");
        }
        // The kernel is down: the chat's first tries are refused (nothing reached a kernel), so the client tries again.
        using var handler = new CountRefusals();
        using var http = new HttpClient(handler);
        var client = new KernelClient(http, new KernelClientOptions
        {
            BaseAddress = new Uri($"http://127.0.0.1:{port}"), Attempts = 60,
            FirstDelay = TimeSpan.FromMilliseconds(100), MaxDelay = TimeSpan.FromMilliseconds(500),
        });
        var chat = client.ChatAsync(new ChatRequest("wave at the user"), TestContext.Current.CancellationToken);
        await handler.FirstRefusal.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        await using var second = await KernelHarness.StartOnAsync(port, processPort, llm, data, config, "--pool-size", "0");

        var reply = await chat;

        Assert.True(reply.Success, reply.Body);
        Assert.Equal("waving", reply.Answer!.Output);
        Assert.True(handler.Refused >= 1);
        Assert.Single(await second.JournalAsync(), e => e.GetProperty("text").GetString()!.Contains("wave at the user", StringComparison.Ordinal));
        Assert.Single(llm.ChatRequests, r => Asker.IsKernel(r) && r.LastUserText.Contains("wave at the user", StringComparison.Ordinal));
    }

    /// <summary>Forwards every request; the first one's answer is dropped on its way back (the connection broke after the kernel took it).</summary>
    private sealed class LoseFirstAnswer() : DelegatingHandler(new SocketsHttpHandler())
    {
        private int _sent;

        public int Sent => Volatile.Read(ref _sent);

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            if (Interlocked.Increment(ref _sent) == 1)
            {
                response.Dispose();
                throw new HttpRequestException("the connection was reset before the answer arrived");
            }
            return response;
        }
    }

    /// <summary>Counts the tries a refused connection ended.</summary>
    private sealed class CountRefusals() : DelegatingHandler(new SocketsHttpHandler())
    {
        private int _refused;

        public TaskCompletionSource FirstRefusal { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Refused => Volatile.Read(ref _refused);

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            try
            {
                return await base.SendAsync(request, cancellationToken);
            }
            catch (HttpRequestException)
            {
                Interlocked.Increment(ref _refused);
                FirstRefusal.TrySetResult();
                throw;
            }
        }
    }
}
