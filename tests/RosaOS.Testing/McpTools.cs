using System.Text.Json;
using System.Text.Json.Nodes;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace RosaOS.Testing;

/// <summary>Calls a running driver's MCP tools as a worker would: the C# SDK over streamable HTTP, arguments from an anonymous object.</summary>
public static class McpTools
{
    /// <summary>Connects to <paramref name="mcpUrl"/> (the driver's <c>/mcp</c> endpoint).</summary>
    public static async Task<McpClient> ConnectAsync(string mcpUrl, CancellationToken cancellationToken)
        => await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions { Endpoint = new Uri(mcpUrl), TransportMode = HttpTransportMode.StreamableHttp }),
            new McpClientOptions { ProtocolVersion = "2025-11-25" }, cancellationToken: cancellationToken);

    /// <summary>Calls <paramref name="tool"/>; returns its text and whether it is a tool error.</summary>
    public static async Task<(string Text, bool IsError)> CallToolTextAsync(this McpClient client, string tool, object? args = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        var result = await client.CallToolAsync(tool, Arguments(args), cancellationToken: TestContext.Current.CancellationToken);
        return (string.Concat(result.Content.OfType<TextContentBlock>().Select(t => t.Text)), result.IsError == true);
    }

    /// <summary>Calls a tool that must succeed and answers a JSON object; fails the test, naming the tool and its answer, otherwise.</summary>
    public static async Task<JsonObject> CallForJsonAsync(this McpClient client, string tool, object? args = null)
    {
        var (text, isError) = await client.CallToolTextAsync(tool, args);
        return isError ? throw new InvalidOperationException($"{tool} failed: {text}") : JsonNode.Parse(text)!.AsObject();
    }

    /// <summary>Calls a tool that must fail and returns its error text; fails the test, naming the tool and its answer, otherwise.</summary>
    public static async Task<string> CallForErrorAsync(this McpClient client, string tool, object? args = null)
    {
        var (text, isError) = await client.CallToolTextAsync(tool, args);
        return isError ? text : throw new InvalidOperationException($"{tool} should have failed but returned {text}");
    }

    /// <summary>An anonymous object's properties as tool arguments (snake_case names are written as such in the object).</summary>
    public static Dictionary<string, object?> Arguments(object? args)
        => args is null ? [] : JsonSerializer.Deserialize<Dictionary<string, object?>>(JsonSerializer.Serialize(args))!;
}
