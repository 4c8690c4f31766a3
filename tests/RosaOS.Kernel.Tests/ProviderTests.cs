using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging.Abstractions;
using RosaOS.Agents;
using RosaOS.Testing;
using RosaOS.Testing.Llm;

namespace RosaOS.Kernel.Tests;

/// <summary>The provider layer against the scripted server speaking each provider's wire format.</summary>
public sealed class ProviderTests : IAsyncLifetime
{
    private ScriptedLlmServer _llm = null!;
    private int _additions;

    public async ValueTask InitializeAsync() => _llm = await ScriptedLlmServer.StartAsync();

    public async ValueTask DisposeAsync() => await _llm.DisposeAsync();

    private static string DeadEndpoint() => $"http://127.0.0.1:{FreePort.Next()}/v1";

    private LlmSettings GroqOnly(int retries = 3) => new()
    {
        LocalEndpoint = DeadEndpoint(),
        GroqApiKey = "gsk_test",
        GroqBaseUrl = _llm.GroqBaseUrl,
        RemoteMaxRetries = retries,
    };

    private AIFunction AddTool() => AIFunctionFactory.Create((int a, int b) =>
    {
        Interlocked.Increment(ref _additions);
        return a + b;
    }, "add", "Adds two integers.");

    private static Task<AgentRunResult> RunAsync(LlmSelection selection, string message, params AIFunction[] tools)
        => new AgentRunner(selection.Client!, new AgentLimits(), NullLogger.Instance)
            .RunAsync("You are a test agent.", [], message, tools, null, TestContext.Current.CancellationToken);

    [Fact]
    public async Task Local_refused_falls_back_to_groq_with_its_key_and_model()
    {
        _llm.Enqueue(ScriptedTurn.Say("hello from groq", reasoning: "say hello"));
        var selection = await LlmProviders.SelectAsync(GroqOnly(), NullLogger.Instance, TestContext.Current.CancellationToken);

        Assert.Equal("groq", selection.Provider);
        var result = await RunAsync(selection, "hi");

        Assert.True(result.Success, result.Output);
        Assert.Equal("hello from groq", result.Output);
        var request = Assert.Single(_llm.ChatRequests);
        Assert.Equal("/openai/v1/chat/completions", request.Path);
        Assert.Equal("Bearer gsk_test", request.Headers["authorization"]);
        Assert.Equal("openai/gpt-oss-120b", request.Model);
        Assert.Equal("You are a test agent.", request.SystemPrompt);
        Assert.Equal("hi", request.LastUserText);
    }

    [Fact]
    public async Task Local_endpoint_that_answers_is_used_first()
    {
        _llm.Enqueue(ScriptedTurn.Say("local answer"));
        var settings = GroqOnly() with { LocalEndpoint = _llm.OpenAiBaseUrl };
        var selection = await LlmProviders.SelectAsync(settings, NullLogger.Instance, TestContext.Current.CancellationToken);

        Assert.Equal("local+groq", selection.Provider);
        var result = await RunAsync(selection, "hi");
        Assert.Equal("local answer", result.Output);
        Assert.Equal("/v1/chat/completions", Assert.Single(_llm.ChatRequests).Path);
    }

    [Fact]
    public async Task Local_server_error_fails_over_to_groq_in_the_same_turn()
    {
        _llm.When(r => r.Path.StartsWith("/v1/", StringComparison.Ordinal), ScriptedTurn.ServerError(500, "Unexpected token 200003 while expecting start token 200006"));
        _llm.When(r => r.Path.StartsWith("/openai/", StringComparison.Ordinal), ScriptedTurn.Say("groq took over"));
        var settings = GroqOnly() with { LocalEndpoint = _llm.OpenAiBaseUrl };
        var selection = await LlmProviders.SelectAsync(settings, NullLogger.Instance, TestContext.Current.CancellationToken);

        var result = await RunAsync(selection, "hi");

        Assert.Equal("groq took over", result.Output);
        Assert.Equal(["/v1/chat/completions", "/openai/v1/chat/completions"], _llm.ChatRequests.Select(r => r.Path));
    }

    [Fact]
    public async Task Local_endpoint_that_went_down_is_not_retried_and_groq_answers_at_once()
    {
        // The local vLLM answers the start-up probe, then stops: its port now refuses connections.
        var local = await ScriptedLlmServer.StartAsync();
        var settings = GroqOnly() with { LocalEndpoint = local.OpenAiBaseUrl };
        var selection = await LlmProviders.SelectAsync(settings, NullLogger.Instance, TestContext.Current.CancellationToken);
        Assert.Equal("local+groq", selection.Provider);
        await local.DisposeAsync();
        _llm.Enqueue(ScriptedTurn.Say("groq right away"));

        var watch = System.Diagnostics.Stopwatch.StartNew();
        var result = await RunAsync(selection, "hi");

        Assert.Equal("groq right away", result.Output);
        Assert.Equal("/openai/v1/chat/completions", Assert.Single(_llm.ChatRequests).Path);
        // No retry with backoff on the refused local endpoint: the SDK's default three retries would wait over 5 s.
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(1.5), $"the fallback took {watch.Elapsed.TotalMilliseconds:0} ms");
    }

    [Fact]
    public async Task Rate_limit_with_retry_after_is_waited_out_then_succeeds()
    {
        _llm.Enqueue(ScriptedTurn.RateLimited(1), ScriptedTurn.Say("after the wait"));
        var selection = await LlmProviders.SelectAsync(GroqOnly(), NullLogger.Instance, TestContext.Current.CancellationToken);

        var result = await RunAsync(selection, "hi");

        Assert.True(result.Success, result.Output);
        Assert.Equal("after the wait", result.Output);
        var requests = _llm.ChatRequests;
        Assert.Equal(2, requests.Count);
        Assert.True(requests[1].At - requests[0].At >= TimeSpan.FromMilliseconds(900), "the retry-after of 1 s was not honoured");
    }

    [Fact]
    public async Task Server_errors_are_retried_a_bounded_number_of_times_then_reported()
    {
        _llm.Fallback = ScriptedTurn.ServerError(503, "overloaded");
        var selection = await LlmProviders.SelectAsync(GroqOnly(retries: 2), NullLogger.Instance, TestContext.Current.CancellationToken);

        var result = await RunAsync(selection, "hi");

        Assert.False(result.Success);
        Assert.StartsWith("LLM request failed:", result.Output, StringComparison.Ordinal);
        Assert.Equal(3, _llm.ChatRequests.Count);
    }

    [Fact]
    public async Task Tool_call_sent_as_json_content_is_salvaged_and_run()
    {
        _llm.Enqueue(ScriptedTurn.CallInContent("add", new { a = 2, b = 3 }), ScriptedTurn.Say("it is 5"));
        var selection = await LlmProviders.SelectAsync(GroqOnly(), NullLogger.Instance, TestContext.Current.CancellationToken);

        var result = await RunAsync(selection, "add 2 and 3", AddTool());

        Assert.Equal("it is 5", result.Output);
        Assert.Equal(1, _additions);
        var second = _llm.ChatRequests[1];
        Assert.Contains(second.Messages, m => m.Role == "tool" && m.Text.Contains('5', StringComparison.Ordinal));
    }

    [Fact]
    public async Task Malformed_tool_arguments_are_reported_to_the_model_as_invalid_json()
    {
        _llm.Enqueue(ScriptedTurn.RawCall("add", "{\"a\":1,\"b\" 2}"), ScriptedTurn.Say("sorry"));
        var selection = await LlmProviders.SelectAsync(GroqOnly(), NullLogger.Instance, TestContext.Current.CancellationToken);

        var result = await RunAsync(selection, "add", AddTool());

        Assert.Equal("sorry", result.Output);
        Assert.Equal(0, _additions);
        Assert.Contains(_llm.ChatRequests[1].Messages, m => m.Role == "tool" && m.Text.Contains("not valid JSON", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Unknown_tool_names_get_an_error_listing_the_real_tools()
    {
        _llm.Enqueue(ScriptedTurn.Call("assistant<|channel|>analysis", new { }), ScriptedTurn.Say("ok"));
        var selection = await LlmProviders.SelectAsync(GroqOnly(), NullLogger.Instance, TestContext.Current.CancellationToken);

        await RunAsync(selection, "x", AddTool());

        Assert.Contains(_llm.ChatRequests[1].Messages, m => m.Role == "tool" && m.Text.Contains("Available tools: add", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Tool_call_limit_stops_a_looping_model_and_says_why()
    {
        _llm.Fallback = ScriptedTurn.Call("add", new { a = 1, b = 1 });
        var selection = await LlmProviders.SelectAsync(GroqOnly(), NullLogger.Instance, TestContext.Current.CancellationToken);
        var runner = new AgentRunner(selection.Client!, new AgentLimits { MaxToolCalls = 3, MaxTurns = 10 }, NullLogger.Instance);

        var result = await runner.RunAsync("sys", [], "loop", [AddTool()], null, TestContext.Current.CancellationToken);

        Assert.False(result.Success);
        Assert.Contains("limit of 3 tool calls", result.Output, StringComparison.Ordinal);
        Assert.Equal(3, _additions);
    }

    [Fact]
    public async Task Turn_limit_and_prompt_size_limit_refuse_with_a_reason()
    {
        _llm.Fallback = ScriptedTurn.Call("add", new { a = 1, b = 1 });
        var selection = await LlmProviders.SelectAsync(GroqOnly(), NullLogger.Instance, TestContext.Current.CancellationToken);

        var turns = await new AgentRunner(selection.Client!, new AgentLimits { MaxTurns = 2 }, NullLogger.Instance)
            .RunAsync("sys", [], "loop", [AddTool()], null, TestContext.Current.CancellationToken);
        Assert.Contains("limit of 2 LLM turns", turns.Output, StringComparison.Ordinal);

        var before = _llm.ChatRequests.Count;
        var size = await new AgentRunner(selection.Client!, new AgentLimits { MaxPromptChars = 100 }, NullLogger.Instance)
            .RunAsync("sys", [], new string('x', 500), [], null, TestContext.Current.CancellationToken);
        Assert.Contains("over the limit of 100", size.Output, StringComparison.Ordinal);
        Assert.Equal(before, _llm.ChatRequests.Count);
    }

    [Fact]
    public async Task Anthropic_messages_tool_loop_runs_through_the_official_sdk()
    {
        _llm.Enqueue(ScriptedTurn.Call("add", new { a = 20, b = 22 }), ScriptedTurn.Say("42"));
        var settings = new LlmSettings
        {
            Preference = LlmPreference.Anthropic,
            AnthropicApiKey = "sk-ant-test",
            AnthropicBaseUrl = _llm.AnthropicBaseUrl,
            AnthropicModel = "claude-test",
        };
        var selection = await LlmProviders.SelectAsync(settings, NullLogger.Instance, TestContext.Current.CancellationToken);

        var result = await RunAsync(selection, "what is 20+22", AddTool());

        Assert.Equal("42", result.Output);
        Assert.Equal(1, _additions);
        var requests = _llm.ChatRequests;
        Assert.All(requests, r => Assert.Equal("/v1/messages", r.Path));
        Assert.Equal("claude-test", requests[0].Model);
        Assert.Contains("You are a test agent.", requests[0].SystemPrompt, StringComparison.Ordinal);
        Assert.Contains("tool_result", requests[1].Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_provider_is_reported_plainly_instead_of_crashing()
    {
        var settings = new LlmSettings { LocalEndpoint = DeadEndpoint() };
        var selection = await LlmProviders.SelectAsync(settings, NullLogger.Instance, TestContext.Current.CancellationToken);

        Assert.False(selection.IsAvailable);
        Assert.Contains(LlmSelection.NoProviderMessage, selection.Status, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_models_are_reported_with_what_the_server_offers()
    {
        _llm.Models = ["qwen/qwen3.8-27b"];
        var groq = await LlmProviders.SelectAsync(GroqOnly() with { GroqModel = "llama-3.3-70b-versatile" }, NullLogger.Instance, TestContext.Current.CancellationToken);
        Assert.Contains("it offers: qwen/qwen3.8-27b", groq.Status, StringComparison.Ordinal);

        var local = await LlmProviders.SelectAsync(new LlmSettings { LocalEndpoint = _llm.OpenAiBaseUrl, Preference = LlmPreference.Local },
            NullLogger.Instance, TestContext.Current.CancellationToken);
        Assert.Equal("qwen/qwen3.8-27b", local.Model);
        Assert.Contains("it offers: qwen/qwen3.8-27b", local.Status, StringComparison.Ordinal);

        _llm.Enqueue(ScriptedTurn.ModelNotFound("llama-3.3-70b-versatile"));
        var result = await RunAsync(groq, "hi");
        Assert.False(result.Success);
        Assert.Contains("does not exist", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Streamed_tool_call_fragments_are_accumulated_by_index()
    {
        _llm.Enqueue(new ScriptedTurn
        {
            Text = "adding",
            Reasoning = "need add",
            ToolCalls = [new ScriptedToolCall("add", """{"a":4,"b":5}"""), new ScriptedToolCall("add", """{"a":1,"b":2}""")],
        });
        using var client = LlmProviders.CreateOpenAi(_llm.OpenAiBaseUrl, "EMPTY", "openai/gpt-oss-120b", 0, TimeSpan.FromSeconds(30));

        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "add")],
            new ChatOptions { Tools = [AddTool()] }, TestContext.Current.CancellationToken))
        {
            updates.Add(update);
        }
        var response = updates.ToChatResponse();

        Assert.True(Assert.Single(_llm.ChatRequests).Stream);
        Assert.Equal("adding", response.Text);
        var calls = response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().ToList();
        Assert.Equal(2, calls.Count);
        Assert.Equal(9, ((JsonElement)calls[0].Arguments!["a"]!).GetInt32() + ((JsonElement)calls[0].Arguments!["b"]!).GetInt32());
        Assert.Equal(2, ((JsonElement)calls[1].Arguments!["b"]!).GetInt32());
    }
}
