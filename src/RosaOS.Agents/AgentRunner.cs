using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using RosaOS.Mcp.Arguments;

namespace RosaOS.Agents;

/// <summary>Limits that keep a confused model from looping forever or flooding the robots.</summary>
public sealed record AgentLimits
{
    /// <summary>Most LLM requests in one run.</summary>
    public int MaxTurns { get; init; } = 25;

    /// <summary>Most tool calls in one run.</summary>
    public int MaxToolCalls { get; init; } = 50;

    /// <summary>Most characters of prompt text (system + history + tool results) sent in one request.</summary>
    public int MaxPromptChars { get; init; } = 200_000;

    /// <summary>Throws when a limit is out of range.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxTurns, 1, nameof(MaxTurns));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxToolCalls, 0, nameof(MaxToolCalls));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxPromptChars, 100, nameof(MaxPromptChars));
    }
}

/// <summary>One tool call the agent made, for the audit log and the live event stream.</summary>
/// <param name="Tool">Tool name.</param>
/// <param name="Arguments">Arguments as JSON.</param>
/// <param name="Result">Result text (or the error given to the model).</param>
/// <param name="IsError">True when the call failed or was refused.</param>
/// <param name="DurationMs">Time the call took.</param>
public sealed record ToolCallRecord(string Tool, string Arguments, string Result, bool IsError, double DurationMs);

/// <summary>The outcome of one agent run.</summary>
/// <param name="Success">False when the LLM failed or a limit stopped the run.</param>
/// <param name="Output">The final answer, or the error.</param>
/// <param name="NewMessages">Messages added by this run (user message, assistant turns, tool results).</param>
public sealed record AgentRunResult(bool Success, string Output, IReadOnlyList<ChatMessage> NewMessages);

/// <summary>
/// The agent loop: ask the model, run the tools it calls, feed the results back, until it answers in
/// text. Written by hand rather than with FunctionInvokingChatClient so that limits, malformed
/// arguments and the per-call audit hook say exactly what happened.
/// </summary>
public sealed partial class AgentRunner
{
    /// <summary>Turn spans (same name as RosaOS.Hosting's TurnTracing.SourceName): LLM requests and tool calls inside a traced turn.</summary>
    private static readonly ActivitySource Turns = new("RosaOS.Turns");

    private readonly IChatClient _client;
    private readonly AgentLimits _limits;
    private readonly ILogger _logger;
    private readonly AgentImages _images;

    /// <param name="client">The model.</param>
    /// <param name="limits">Turn, call and prompt limits.</param>
    /// <param name="logger">Logger.</param>
    /// <param name="images">Images in tool results: given to the model or described by path (default: described, stored in the temp folder).</param>
    public AgentRunner(IChatClient client, AgentLimits limits, ILogger logger, AgentImages? images = null)
    {
        ArgumentNullException.ThrowIfNull(limits);
        limits.Validate();
        _client = client;
        _limits = limits;
        _logger = logger;
        _images = images ?? new AgentImages(false, Path.Combine(Path.GetTempPath(), "rosaos-tool-images"));
    }

    /// <summary>Runs the agent on <paramref name="userMessage"/> after <paramref name="history"/>.</summary>
    /// <param name="instructions">System prompt.</param>
    /// <param name="history">Earlier messages (not modified).</param>
    /// <param name="userMessage">The new user message.</param>
    /// <param name="tools">Tools offered to the model.</param>
    /// <param name="onToolCall">Called after each tool call (audit, live stream).</param>
    /// <param name="cancellationToken">Stops the run.</param>
    public async Task<AgentRunResult> RunAsync(string instructions, IReadOnlyList<ChatMessage> history, string userMessage,
        IReadOnlyList<AIFunction> tools, Func<ToolCallRecord, CancellationToken, Task>? onToolCall, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(tools);
        var added = new List<ChatMessage> { new(ChatRole.User, userMessage) };
        var byName = tools.GroupBy(t => t.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var options = new ChatOptions { Tools = tools.Count > 0 ? [.. tools] : null, ToolMode = tools.Count > 0 ? ChatToolMode.Auto : null };
        var toolCalls = 0;
        for (var turn = 1; ; turn++)
        {
            if (turn > _limits.MaxTurns)
            {
                return new AgentRunResult(false, $"Stopped: the run reached the limit of {_limits.MaxTurns} LLM turns without a final answer.", added);
            }
            var messages = new List<ChatMessage>(history.Count + added.Count + 1) { new(ChatRole.System, instructions) };
            messages.AddRange(history);
            messages.AddRange(added);
            var size = PromptChars(messages);
            if (size > _limits.MaxPromptChars)
            {
                return new AgentRunResult(false, $"Stopped: the prompt would be {size} characters, over the limit of {_limits.MaxPromptChars}.", added);
            }

            ChatResponse response;
            // Only inside a traced turn (a voice or chat turn, or a worker's task of one).
            using var llmSpan = Activity.Current is null ? null : Turns.StartActivity("llm.request", ActivityKind.Client);
            llmSpan?.SetTag("turn", turn.ToString(System.Globalization.CultureInfo.InvariantCulture));
            try
            {
                response = await _client.GetResponseAsync(messages, options, cancellationToken);
                llmSpan?.Dispose();
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                LogLlmFailed(_logger, turn, e.Message);
                return new AgentRunResult(false, "LLM request failed: " + Describe(e), added);
            }

            added.AddRange(response.Messages);
            var calls = response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().ToList();
            if (calls.Count == 0)
            {
                return new AgentRunResult(true, response.Text ?? "", added);
            }
            var results = new List<AIContent>(calls.Count);
            var seen = new List<DataContent>();
            foreach (var call in calls)
            {
                if (++toolCalls > _limits.MaxToolCalls)
                {
                    results.Add(new FunctionResultContent(call.CallId, $"Error: refused, the run reached the limit of {_limits.MaxToolCalls} tool calls. Finish the task with what you have."));
                    added.Add(new ChatMessage(ChatRole.Tool, results));
                    return new AgentRunResult(false, $"Stopped: the run reached the limit of {_limits.MaxToolCalls} tool calls.", added);
                }
                var (record, images) = await InvokeAsync(call, byName, _images, cancellationToken);
                results.Add(new FunctionResultContent(call.CallId, record.Result));
                seen.AddRange(images);
                if (onToolCall is not null)
                {
                    try
                    {
                        await onToolCall(record, cancellationToken);
                    }
                    catch (Exception e) when (!cancellationToken.IsCancellationRequested)
                    {
                        LogAuditFailed(_logger, record.Tool, e.Message);
                    }
                }
            }
            added.Add(new ChatMessage(ChatRole.Tool, results));
            if (seen.Count > 0)
            {
                // Tool messages carry text only in the OpenAI format: the images follow as a user message with image parts
                // (image_url data URIs for OpenAI-compatible providers, image blocks for Anthropic).
                added.Add(new ChatMessage(ChatRole.User, [new TextContent($"The image(s) returned by the tool call(s) above ({seen.Count}):"), .. seen]));
            }
        }
    }

    private static async Task<(ToolCallRecord Record, IReadOnlyList<DataContent> Images)> InvokeAsync(FunctionCallContent call, Dictionary<string, AIFunction> tools,
        AgentImages images, CancellationToken cancellationToken)
    {
        var record = await InvokeToolAsync(call, tools, cancellationToken);
        if (record.Images.Count == 0)
        {
            return (record.Record, []);
        }
        // Store each image; the prompt text and the audit log get its path and size, never base64.
        Directory.CreateDirectory(images.Directory);
        var notes = new List<string>();
        var given = new List<DataContent>();
        foreach (var image in record.Images)
        {
            var extension = image.MediaType switch { "image/png" => ".png", "image/gif" => ".gif", "image/webp" => ".webp", _ => ".jpg" };
            var path = Path.Combine(images.Directory, $"{call.Name}-{DateTime.UtcNow:yyyyMMdd-HHmmss-fff}-{Guid.NewGuid().ToString("N")[..8]}{extension}");
            await File.WriteAllBytesAsync(path, image.Data.ToArray(), cancellationToken);
            notes.Add($"[image {image.MediaType}, {image.Data.Length} bytes, saved at {path}" + (images.ModelSeesImages
                ? "; it is attached below]"
                : "; this model cannot see images: use describe_image with this path for a description]"));
            if (images.ModelSeesImages)
            {
                given.Add(new DataContent(image.Data, image.MediaType));
            }
        }
        var text = string.Join("\n", new[] { record.Record.Result }.Where(t => t.Length > 0).Concat(notes));
        return (record.Record with { Result = text }, given);
    }

    private static async Task<(ToolCallRecord Record, IReadOnlyList<DataContent> Images)> InvokeToolAsync(FunctionCallContent call, Dictionary<string, AIFunction> tools,
        CancellationToken cancellationToken)
    {
        var arguments = call.Arguments is null ? "{}" : JsonSerializer.Serialize(call.Arguments, AIJsonUtilities.DefaultOptions);
        if (call.Exception is not null)
        {
            return (new ToolCallRecord(call.Name, arguments,
                $"Error: the arguments of your call to {call.Name} were not valid JSON ({call.Exception.Message}). Call it again with a JSON object of arguments.",
                true, 0), []);
        }
        if (!tools.TryGetValue(call.Name, out var tool))
        {
            return (new ToolCallRecord(call.Name, arguments,
                $"Error: there is no tool named '{call.Name}'. Available tools: {string.Join(", ", tools.Keys)}.", true, 0), []);
        }
        // The same binding layer as the MCP servers: lax coercion, and an error naming the argument instead of the
        // framework's "An error occurred invoking" when a model sends a wrong type (in-process kernel tools too).
        var bound = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var (key, value) in call.Arguments ?? new Dictionary<string, object?>())
        {
            bound[key] = value is JsonElement element ? element : JsonSerializer.SerializeToElement(value, AIJsonUtilities.DefaultOptions);
        }
        if (ToolArgumentBinder.Bind(call.Name, tool.JsonSchema, bound) is { } invalid)
        {
            return (new ToolCallRecord(call.Name, arguments, "Error: " + invalid, true, 0), []);
        }
        var watch = Stopwatch.StartNew();
        using var span = Activity.Current is null ? null : Turns.StartActivity("tool.call", ActivityKind.Client);
        span?.SetTag("tool", call.Name);
        try
        {
            var result = await tool.InvokeAsync(new AIFunctionArguments(bound.ToDictionary(p => p.Key, p => (object?)p.Value, StringComparer.Ordinal)), cancellationToken);
            var (text, isError) = ResultText(result);
            return (new ToolCallRecord(call.Name, arguments, text, isError, watch.Elapsed.TotalMilliseconds), ResultImages(result));
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            return (new ToolCallRecord(call.Name, arguments, $"Error: {call.Name} failed: {e.Message}", true, watch.Elapsed.TotalMilliseconds), []);
        }
    }

    /// <summary>Text of a tool result; MCP results are reduced to their text blocks and isError flag.</summary>
    private static (string Text, bool IsError) ResultText(object? result)
    {
        switch (result)
        {
            case null:
                return ("", false);
            case string s:
                return (s, false);
            // The MCP client tool hands successful results back as AI content; give the model its plain text.
            case TextContent t:
                return (t.Text ?? "", false);
            case IEnumerable<AIContent> contents when contents.All(c => c is TextContent or DataContent):
                return (string.Join("\n", contents.OfType<TextContent>().Select(c => c.Text)), false);
            case DataContent:
                return ("", false);
            case JsonElement { ValueKind: JsonValueKind.Object } e when e.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.Array:
                var texts = content.EnumerateArray()
                    .Where(c => c.TryGetProperty("type", out var t) && t.GetString() == "text" && c.TryGetProperty("text", out _))
                    .Select(c => c.GetProperty("text").GetString()).ToList();
                var isError = e.TryGetProperty("isError", out var err) && err.ValueKind == JsonValueKind.True;
                var hasImages = content.EnumerateArray().Any(c => c.TryGetProperty("type", out var t) && t.GetString() == "image");
                return (texts.Count > 0 || hasImages ? string.Join("\n", texts) : e.GetRawText(), isError);
            case JsonElement { ValueKind: JsonValueKind.String } e:
                return (e.GetString() ?? "", false);
            default:
                return (JsonSerializer.Serialize(result, AIJsonUtilities.DefaultOptions), false);
        }
    }

    /// <summary>The images of a tool result: MCP image blocks (base64 + mimeType) or M.E.AI data content.</summary>
    private static List<DataContent> ResultImages(object? result)
    {
        var images = new List<DataContent>();
        switch (result)
        {
            case DataContent d when d.HasTopLevelMediaType("image"):
                images.Add(d);
                break;
            case IEnumerable<AIContent> contents:
                images.AddRange(contents.OfType<DataContent>().Where(d => d.HasTopLevelMediaType("image")));
                break;
            case JsonElement { ValueKind: JsonValueKind.Object } e when e.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.Array:
                foreach (var block in content.EnumerateArray())
                {
                    if (block.TryGetProperty("type", out var type) && type.GetString() == "image"
                        && block.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.String
                        && block.TryGetProperty("mimeType", out var mime) && mime.GetString() is { } mediaType && mediaType.StartsWith("image/", StringComparison.Ordinal))
                    {
                        try
                        {
                            images.Add(new DataContent(Convert.FromBase64String(data.GetString()!), mediaType));
                        }
                        catch (FormatException)
                        {
                            // Not base64: the text says what the tool returned; nothing to show.
                        }
                    }
                }
                break;
        }
        return images;
    }

    private static int PromptChars(List<ChatMessage> messages)
    {
        var total = 0;
        foreach (var message in messages)
        {
            foreach (var content in message.Contents)
            {
                total += content switch
                {
                    TextContent t => t.Text?.Length ?? 0,
                    FunctionResultContent r => r.Result?.ToString()?.Length ?? 0,
                    FunctionCallContent c => c.Name.Length + (c.Arguments?.Count ?? 0) * 16,
                    _ => 0,
                };
            }
        }
        return total;
    }

    /// <summary>A one-line description of an LLM failure for the kernel and the user.</summary>
    public static string Describe(Exception e) => e switch
    {
        AggregateException a when a.InnerExceptions.Count > 0 => Describe(a.InnerExceptions[^1]),
        _ => e.Message.ReplaceLineEndings(" "),
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "LLM request of turn {Turn} failed: {Reason}")]
    private static partial void LogLlmFailed(ILogger logger, int turn, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reporting the tool call {Tool} failed: {Reason}")]
    private static partial void LogAuditFailed(ILogger logger, string tool, string reason);
}
