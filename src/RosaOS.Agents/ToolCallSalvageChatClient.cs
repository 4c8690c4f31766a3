using System.Text.Json;
using Microsoft.Extensions.AI;

namespace RosaOS.Agents;

/// <summary>
/// vLLM with gpt-oss sometimes returns a tool call as JSON text in <c>content</c> with no
/// <c>tool_calls</c> (vllm#22337, #25560). When the text is exactly a call (or a list of calls) to a
/// tool offered in this request, it is turned back into a real call; anything else passes unchanged.
/// </summary>
internal sealed class ToolCallSalvageChatClient(IChatClient inner) : DelegatingChatClient(inner)
{
    private int _salvaged;

    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var response = await base.GetResponseAsync(messages, options, cancellationToken);
        if (options?.Tools is not { Count: > 0 } tools || response.Messages.Count == 0)
        {
            return response;
        }
        var last = response.Messages[^1];
        if (last.Contents.OfType<FunctionCallContent>().Any())
        {
            return response;
        }
        var text = last.Text?.Trim();
        if (string.IsNullOrEmpty(text) || text[0] is not ('{' or '['))
        {
            return response;
        }
        var names = tools.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        var calls = TryParseCalls(text, names);
        if (calls is null)
        {
            return response;
        }
        var contents = calls.Select(c => (AIContent)new FunctionCallContent($"salvaged-{Interlocked.Increment(ref _salvaged)}", c.Name, c.Arguments)).ToList();
        response.Messages[^1] = new ChatMessage(ChatRole.Assistant, contents);
        response.FinishReason = ChatFinishReason.ToolCalls;
        return response;
    }

    private static List<(string Name, Dictionary<string, object?> Arguments)>? TryParseCalls(string text, HashSet<string> names)
    {
        try
        {
            using var doc = JsonDocument.Parse(text);
            var items = doc.RootElement.ValueKind == JsonValueKind.Array ? [.. doc.RootElement.EnumerateArray()] : new List<JsonElement> { doc.RootElement };
            var calls = new List<(string, Dictionary<string, object?>)>();
            foreach (var item in items)
            {
                if (item.ValueKind != JsonValueKind.Object
                    || !item.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String
                    || !names.Contains(name.GetString()!))
                {
                    return null;
                }
                var args = new Dictionary<string, object?>();
                if ((item.TryGetProperty("arguments", out var a) || item.TryGetProperty("parameters", out a)) && a.ValueKind == JsonValueKind.Object)
                {
                    foreach (var p in a.EnumerateObject())
                    {
                        args[p.Name] = p.Value.Clone();
                    }
                }
                calls.Add((name.GetString()!, args));
            }
            return calls.Count > 0 ? calls : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
