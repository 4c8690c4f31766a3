using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging.Abstractions;
using RosaOS.Agents;
using RosaOS.Testing;
using RosaOS.Testing.Llm;

namespace RosaOS.Kernel.Tests;

/// <summary>
/// A tool's image reaches a model that can see as a real image part in each provider's wire format (OpenAI image_url
/// data URI, Anthropic base64 image block), through the scripted LLM servers; a text-only model gets the stored path
/// and size; base64 never appears in prompt text or the audit record.
/// </summary>
public sealed class AgentImageTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // A 1×1 PNG.
    private const string PngBase64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

    /// <summary>What an MCP client tool hands back for take_picture: the CallToolResult with a text and an image block.</summary>
    private static AIFunction Camera() => AIFunctionFactory.Create(
        () => JsonSerializer.SerializeToElement(new { content = new object[] { new { type = "text", text = "picture taken" }, new { type = "image", data = PngBase64, mimeType = "image/png" } } }),
        "take_picture", "Take a picture with the robot's camera.");

    private static async Task<(AgentRunResult Result, List<ToolCallRecord> Audit, RecordedRequest After)> RunAsync(ScriptedLlmServer llm, IChatClient client, bool seesImages)
    {
        llm.When(r => r.Body.Contains("picture taken", StringComparison.Ordinal), ScriptedTurn.Say("I see one pixel."));
        llm.When(r => !r.Body.Contains("picture taken", StringComparison.Ordinal), ScriptedTurn.Call("take_picture", new { }));
        var audit = new List<ToolCallRecord>();
        var runner = new AgentRunner(client, new AgentLimits(), NullLogger.Instance, new AgentImages(seesImages, TestPaths.NewTempDirectory("tool-images")));
        var result = await runner.RunAsync("You are a process.", [], "Look.", [Camera()], (r, _) => { audit.Add(r); return Task.CompletedTask; }, Ct);
        var after = await llm.WaitForRequestAsync(r => r.Body.Contains("picture taken", StringComparison.Ordinal));
        return (result, audit, after);
    }

    private static void AssertAuditHasPathNotBase64(List<ToolCallRecord> audit)
    {
        var record = Assert.Single(audit);
        Assert.DoesNotContain(PngBase64[..40], record.Result, StringComparison.Ordinal);
        Assert.Contains("image/png, 70 bytes, saved at ", record.Result, StringComparison.Ordinal);
        var path = record.Result[(record.Result.IndexOf("saved at ", StringComparison.Ordinal) + 9)..].Split(';')[0];
        Assert.Equal(Convert.FromBase64String(PngBase64), File.ReadAllBytes(path));
    }

    [Fact]
    public async Task OpenAi_vision_model_gets_an_image_url_data_uri()
    {
        await using var llm = await ScriptedLlmServer.StartAsync();
        var client = LlmProviders.CreateOpenAi(llm.OpenAiBaseUrl, "test", "gpt-4o", 0, TimeSpan.FromSeconds(60));

        var (result, audit, after) = await RunAsync(llm, client, seesImages: true);

        Assert.True(result.Success, result.Output);
        var parts = after.Json!.Value.GetProperty("messages").EnumerateArray()
            .Where(m => m.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.Array)
            .SelectMany(m => m.GetProperty("content").EnumerateArray()).ToList();
        Assert.Contains(parts, p => p.TryGetProperty("type", out var t) && t.GetString() == "image_url"
            && p.GetProperty("image_url").GetProperty("url").GetString() == "data:image/png;base64," + PngBase64);
        // Only the image part carries base64: not the tool message's text.
        Assert.Equal(1, CountOccurrences(after.Body, PngBase64[..40]));
        AssertAuditHasPathNotBase64(audit);
    }

    [Fact]
    public async Task Anthropic_model_gets_a_base64_image_block()
    {
        await using var llm = await ScriptedLlmServer.StartAsync();
        var selection = await LlmProviders.SelectAsync(new LlmSettings
        {
            Preference = LlmPreference.Anthropic, AnthropicApiKey = "test", AnthropicBaseUrl = llm.AnthropicBaseUrl, RemoteMaxRetries = 0,
        }, NullLogger.Instance, Ct);
        Assert.True(LlmVision.SeesImages(selection.Provider, selection.Model));

        var (result, audit, after) = await RunAsync(llm, selection.Client!, seesImages: true);

        Assert.True(result.Success, result.Output);
        var blocks = after.Json!.Value.GetProperty("messages").EnumerateArray()
            .Where(m => m.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.Array)
            .SelectMany(m => m.GetProperty("content").EnumerateArray()).ToList();
        Assert.Contains(blocks, b => b.TryGetProperty("type", out var t) && t.GetString() == "image"
            && b.GetProperty("source").GetProperty("type").GetString() == "base64"
            && b.GetProperty("source").GetProperty("media_type").GetString() == "image/png"
            && b.GetProperty("source").GetProperty("data").GetString() == PngBase64);
        AssertAuditHasPathNotBase64(audit);
    }

    [Fact]
    public async Task Text_only_model_gets_the_path_and_size_and_no_base64()
    {
        await using var llm = await ScriptedLlmServer.StartAsync();
        var client = LlmProviders.CreateOpenAi(llm.OpenAiBaseUrl, "test", LlmSettings.DefaultModel, 0, TimeSpan.FromSeconds(60));
        Assert.False(LlmVision.SeesImages("groq", LlmSettings.DefaultModel));

        var (result, audit, after) = await RunAsync(llm, client, seesImages: false);

        Assert.True(result.Success, result.Output);
        Assert.DoesNotContain(llm.Requests, r => r.Body.Contains(PngBase64[..40], StringComparison.Ordinal));
        Assert.Contains("use describe_image with this path", after.Body, StringComparison.Ordinal);
        AssertAuditHasPathNotBase64(audit);
    }

    [Theory]
    [InlineData("anthropic", "claude-sonnet-4-6", null, true)]
    [InlineData("groq", "meta-llama/llama-4-scout-17b-16e-instruct", null, true)]
    [InlineData("groq", "openai/gpt-oss-120b", null, false)]
    [InlineData("local", "my-vlm", "local/my-vlm", true)]
    [InlineData("anthropic", "claude-3-haiku", "!anthropic/claude-3-haiku", false)]
    public void Vision_is_configured_per_provider_and_model(string provider, string model, string? configured, bool sees)
        => Assert.Equal(sees, LlmVision.SeesImages(provider, model, configured ?? ""));

    private static int CountOccurrences(string text, string part)
    {
        var count = 0;
        for (var i = text.IndexOf(part, StringComparison.Ordinal); i >= 0; i = text.IndexOf(part, i + 1, StringComparison.Ordinal))
        {
            count++;
        }
        return count;
    }
}
