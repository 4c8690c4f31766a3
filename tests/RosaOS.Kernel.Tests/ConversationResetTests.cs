using RosaOS.Testing;
using RosaOS.Testing.Llm;
using static RosaOS.Kernel.Tests.Asker;

namespace RosaOS.Kernel.Tests;

/// <summary>The kernel's history survives restarts; POST /api/conversation/reset starts it over, in memory, on disk and in the page's history.</summary>
public sealed class ConversationResetTests
{
    [Fact]
    public async Task Reset_forgets_the_conversation_now_and_after_a_restart()
    {
        await using var llm = await ScriptedLlmServer.StartAsync();
        llm.Fallback = ScriptedTurn.Say("noted");
        var data = TestPaths.NewTempDirectory("reset");
        var config = KernelHarness.NewConfigDir();
        // Port 0 at the first start; a restart takes the ports it got, as rosa up restarts a kernel where its clients look.
        var (port, processPort) = (0, 0);
        await using (var kernel = await KernelHarness.StartOnAsync(port, processPort, llm, data, config, "--pool-size", "0"))
        {
            (port, processPort) = (kernel.Port, kernel.ProcessPort);
            await kernel.ChatAsync("my secret word is pineapple");
            await kernel.ChatAsync("remember it");
            Assert.Contains("pineapple", llm.ChatRequests.Where(IsKernel).Last().Body, StringComparison.Ordinal);

            var (badStatus, _) = await kernel.PostJsonAsync("/api/conversation/reset", "[1]");
            Assert.Equal(400, badStatus);
            var (status, answer) = await kernel.PostJsonAsync("/api/conversation/reset", "{}");
            Assert.Equal(200, status);
            Assert.True(answer.GetProperty("ok").GetBoolean());
            Assert.True(answer.GetProperty("cleared_messages").GetInt64() >= 4);

            await kernel.ChatAsync("what was my word?");
            Assert.DoesNotContain("pineapple", llm.ChatRequests.Where(IsKernel).Last().Body, StringComparison.Ordinal);
            // A page opened after the reset starts its conversation there too.
            Assert.Equal(["what was my word?"], await UserLinesAsync(kernel));
        }
        await using (var again = await KernelHarness.StartOnAsync(port, processPort, llm, data, config, "--pool-size", "0"))
        {
            await again.ChatAsync("anything?");
            var last = llm.ChatRequests.Where(IsKernel).Last().Body;
            Assert.DoesNotContain("pineapple", last, StringComparison.Ordinal);
            Assert.Contains("what was my word?", last, StringComparison.Ordinal);
            Assert.Equal(["what was my word?", "anything?"], await UserLinesAsync(again));
        }
    }

    private static async Task<string[]> UserLinesAsync(KernelHarness kernel)
        => [.. (await kernel.GetJsonAsync("/api/history")).GetProperty("conversation").EnumerateArray()
            .Where(l => l.GetProperty("role").GetString() == "user").Select(l => l.GetProperty("text").GetString()!)];
}
