using RosaOS.Testing;

namespace RosaOS.Simulator.Tests;

public sealed class CliSmokeTests
{
    [Fact]
    public async Task Help_ListsEverySubcommand()
    {
        await using var rosa = RosaProcess.StartRosa(["--help"]);
        var code = await rosa.WaitForExitAsync();

        Assert.Equal(0, code);
        foreach (var command in new[] { "sim", "reachy", "kernel", "worker", "ros", "up", "status", "chat" })
        {
            Assert.Contains(command, rosa.Output, StringComparison.Ordinal);
        }
    }
}
