using System.CommandLine;
using RosaOS.Hosting;
using RosaOS.Kernel.Contracts;

namespace RosaOS.Cli;

/// <summary>The `rosa chat` sub-command: the original's CLI chat (POST /chat, background outputs from GET /updates).</summary>
internal static class ChatCommand
{
    public static Command Create()
    {
        var baseUrl = new Option<string?>("--base-url") { Description = "Kernel URL (default RAG_AGENT_URL, else http://localhost:RAG_AGENT_PORT)." };
        var noPoll = new Option<bool>("--no-poll") { Description = "Do not print background kernel outputs." };
        var timeout = new Option<int>("--timeout") { Description = "Seconds to wait for each reply.", DefaultValueFactory = _ => 120 };
        var command = new Command("chat", "Chat with the kernel from the terminal (lines on stdin; Ctrl-D or Ctrl-C to quit).") { baseUrl, noPoll, timeout };
        command.SetAction(async (parse, cancellationToken) =>
        {
            Uri kernel;
            try
            {
                var url = parse.GetValue(baseUrl) ?? RosaEnvironment.Get("RAG_AGENT_URL") ?? $"http://localhost:{RosaEnvironment.GetPort("RAG_AGENT_PORT", 8765)}";
                kernel = Uri.TryCreate(url.TrimEnd('/') + "/", UriKind.Absolute, out var u) && u.Scheme is "http" or "https"
                    ? u : throw new ArgumentException($"{url} is not an http(s) URL.");
                if (parse.GetValue(timeout) is < 1 or > 3600)
                {
                    throw new ArgumentException("--timeout must be between 1 and 3600 seconds.");
                }
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException)
            {
                await Console.Error.WriteLineAsync($"rosa chat: {e.Message}");
                return 2;
            }
            return await new ChatSession(kernel, TimeSpan.FromSeconds(parse.GetValue(timeout))).RunAsync(!parse.GetValue(noPoll), cancellationToken);
        });
        return command;
    }
}

internal sealed class ChatSession(Uri kernel, TimeSpan replyTimeout)
{
    private static readonly TimeSpan s_pollInterval = TimeSpan.FromSeconds(1.5);
    private readonly Lock _console = new();
    private readonly bool _interactive = !Console.IsInputRedirected;

    public async Task<int> RunAsync(bool poll, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        var client = new KernelClient(http, new KernelClientOptions { BaseAddress = kernel });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (_interactive)
        {
            Console.WriteLine($"rosaOS chat with {kernel}. Type a message and press Enter; Ctrl-D or Ctrl-C to quit.");
            Console.WriteLine("(Background worker results appear as [Background] Robot: ...)\n");
        }
        var poller = poll ? PollUpdatesAsync(client, stop.Token) : Task.CompletedTask;
        var failures = 0;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                Prompt();
                var line = await Console.In.ReadLineAsync(stop.Token);
                if (line is null)
                {
                    break;
                }
                var prompt = line.Trim();
                if (prompt.Length == 0)
                {
                    continue;
                }
                if (!await SendAsync(client, prompt, stop.Token))
                {
                    failures++;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        if (poll)
        {
            // One last look so a reply that arrived while we were reading is not lost on exit.
            await DrainUpdatesAsync(client, CancellationToken.None);
        }
        await stop.CancelAsync();
        await poller;
        if (_interactive)
        {
            Console.WriteLine();
        }
        return failures == 0 ? 0 : 1;
    }

    private async Task<bool> SendAsync(KernelClient client, string prompt, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(replyTimeout);
        try
        {
            var reply = await client.ChatAsync(new ChatRequest(prompt), timeout.Token);
            if (!reply.Success)
            {
                Write($"Error: the kernel answered {reply.Status}: {reply.Body}", error: true);
                return false;
            }
            if (reply.Answer is null)
            {
                throw new System.Text.Json.JsonException("not JSON");
            }
            Write($"Robot: {reply.Answer.Output ?? ""}\n");
            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Write($"Error: no reply within {replyTimeout.TotalSeconds:0} s.", error: true);
        }
        catch (HttpRequestException e)
        {
            Write($"Error: cannot reach the kernel at {kernel} ({e.Message}). Is `rosa up` running?", error: true);
        }
        catch (System.Text.Json.JsonException)
        {
            Write("Error: the kernel's reply was not JSON.", error: true);
        }
        return false;
    }

    private async Task PollUpdatesAsync(KernelClient client, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            await DrainUpdatesAsync(client, cancellationToken);
            try
            {
                await Task.Delay(s_pollInterval, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task DrainUpdatesAsync(KernelClient client, CancellationToken cancellationToken)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            var reply = await client.UpdatesAsync(timeout.Token);
            foreach (var message in reply.Answer?.Messages ?? [])
            {
                var content = message.Content ?? "";
                var background = message.WorkerId is { Length: > 0 };
                Write($"{(background ? "[Background] " : "")}Robot: {content}\n", reprompt: true);
            }
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or TimeoutException or System.Text.Json.JsonException or InvalidOperationException)
        {
            // The kernel may be restarting; the next poll tries again.
        }
    }

    private void Prompt()
    {
        if (_interactive)
        {
            lock (_console)
            {
                Console.Write("You: ");
            }
        }
    }

    private void Write(string text, bool error = false, bool reprompt = false)
    {
        lock (_console)
        {
            if (_interactive && reprompt)
            {
                Console.WriteLine();
            }
            (error ? Console.Error : Console.Out).WriteLine(text);
            if (_interactive && reprompt)
            {
                Console.Write("You: ");
            }
            Console.Out.Flush();
        }
    }
}
