using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using RosaOS.Testing;

namespace RosaOS.Simulator.Tests;

/// <summary>
/// What a machine without OpenCV's native library (macOS, Windows, a Raspberry Pi: NuGet serves it for linux-x64
/// only) gets: the program itself, copied without libOpenCvSharpExtern, starts; the simulator serves its API, and
/// its camera answers with a reason that names the missing library instead of failing with a loader error.
/// </summary>
public sealed class PlatformTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Without_OpenCVs_native_library_the_simulator_starts_and_its_camera_says_what_is_missing()
    {
        var build = Path.GetDirectoryName(TestPaths.RosaExecutable)!;
        var copy = TestPaths.NewTempDirectory("no-opencv");
        foreach (var file in Directory.EnumerateFiles(build, "*", SearchOption.AllDirectories))
        {
            if (Path.GetFileName(file).Contains("OpenCvSharpExtern", StringComparison.Ordinal))
            {
                continue;
            }
            var target = Path.Combine(copy, Path.GetRelativePath(build, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target); // keeps the file mode, so the launcher stays executable
        }
        var rosa = Path.Combine(copy, Path.GetFileName(TestPaths.RosaExecutable));
        Assert.Empty(Directory.EnumerateFiles(copy, "*OpenCvSharpExtern*", SearchOption.AllDirectories));

        await using var sim = RosaProcess.Start(rosa, ["sim", "--port", "0", "--no-wake-up-on-start"],
            new Dictionary<string, string?> { ["ROSAOS_DATA_DIR"] = TestPaths.NewTempDirectory("data") }, name: "rosa sim (no OpenCV)");
        using var http = new HttpClient { BaseAddress = new Uri(await sim.WaitForListeningAsync("sim"), "/") };
        await Poll.UntilAsync(async () => (await http.GetFromJsonAsync<JsonObject>("api/daemon/status", Ct))!["state"]!.GetValue<string>() == "running", "the daemon running");

        using var frame = await http.GetAsync(new Uri("sim/camera/frame.jpg", UriKind.Relative), Ct);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, frame.StatusCode);
        var detail = await frame.Content.ReadAsStringAsync(Ct);
        Assert.Contains("OpenCvSharpExtern", detail, StringComparison.Ordinal);
        Assert.Contains("docs/platforms.md", detail, StringComparison.Ordinal);

        // Motion does not depend on OpenCV: a goto still moves the head.
        using var move = await http.PostAsJsonAsync("api/move/goto", new { head_pose = new { x = 0.0, y = 0.0, z = 0.0, roll = 0.0, pitch = 0.0, yaw = 0.3 }, duration = 0.3 }, Ct);
        Assert.Equal(HttpStatusCode.OK, move.StatusCode);
        Assert.False(sim.HasExited);
    }
}
