using System.Text.Json;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace RosaOS.Mcp.ReachyMini.Tests;

/// <summary>Connects a real MCP client (the C# SDK, streamable HTTP) to a running <c>rosa reachy</c>.</summary>
internal static class McpTestClient
{
    public static Task<McpClient> ConnectAsync(string url, CancellationToken cancellationToken) => RosaOS.Testing.McpTools.ConnectAsync(url, cancellationToken);

    /// <summary>Calls a tool and returns its text and error flag.</summary>
    public static async Task<(string Text, bool IsError)> CallAsync(this McpClient client, string tool, Dictionary<string, object?>? args = null)
    {
        var result = await client.CallToolAsync(tool, args ?? [], cancellationToken: TestContext.Current.CancellationToken);
        var text = string.Join("\n", result.Content.OfType<TextContentBlock>().Select(b => b.Text));
        return (text, result.IsError == true);
    }

    /// <summary>Calls a tool with raw JSON arguments (for wrong types), returning the text and error flag, or the protocol error's message.</summary>
    public static async Task<(string Text, bool IsError)> CallRawAsync(this McpClient client, string tool, string argumentsJson)
    {
        var args = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(argumentsJson)!;
        try
        {
            var result = await client.CallToolAsync(new CallToolRequestParams { Name = tool, Arguments = args }, TestContext.Current.CancellationToken);
            var text = string.Join("\n", result.Content.OfType<TextContentBlock>().Select(b => b.Text));
            return (text, result.IsError == true);
        }
        catch (ModelContextProtocol.McpException e)
        {
            return (e.Message, true);
        }
    }
}
