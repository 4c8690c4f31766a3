using System.Globalization;
using System.Text.Json;
using RosaOS.Testing;

namespace RosaOS.Mcp.ReachyMini.Tests;

/// <summary><c>rosa reachy --stdio</c> as a desktop MCP client runs it: answers, exits 0 when the client closes, and does not listen.</summary>
public sealed class StdioLifetimeTests
{
    [Fact]
    public async Task ClientClosesStdin_ExitsZero_WithoutTheSpeechLoop()
    {
        var deadDaemon = $"http://127.0.0.1:{FreePort.Next().ToString(CultureInfo.InvariantCulture)}";
        await using var reachy = RosaProcess.StartRosa(["reachy", "--stdio", "--daemon", deadDaemon]);

        await reachy.WriteLineAsync("""{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"test","version":"1"}}}""");
        await reachy.WaitForLineAsync(l => l.Contains("\"id\":1", StringComparison.Ordinal));
        await reachy.WriteLineAsync("""{"jsonrpc":"2.0","method":"notifications/initialized"}""");
        await reachy.WriteLineAsync("""{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"move_head_left","arguments":{"multiple":"x"}}}""");
        var answer = await reachy.WaitForLineAsync(l => l.Contains("\"id\":2", StringComparison.Ordinal));
        using (var json = JsonDocument.Parse(answer[answer.IndexOf('{', StringComparison.Ordinal)..]))
        {
            var text = json.RootElement.GetProperty("result").GetProperty("content")[0].GetProperty("text").GetString();
            Assert.Contains("argument 'multiple' must be an integer", text, StringComparison.Ordinal);
        }
        reachy.CloseInput();

        Assert.Equal(0, await reachy.WaitForExitAsync(TestTimeouts.Shutdown));
        Assert.DoesNotContain("ObjectDisposedException", reachy.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Speech input", reachy.Output, StringComparison.Ordinal);
    }
}
