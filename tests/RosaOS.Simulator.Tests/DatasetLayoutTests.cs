using RosaOS.Testing;

namespace RosaOS.Simulator.Tests;

/// <summary>A sim with datasets in the layouts the daemon reads: owner/name folders, the HF cache, data/ subfolders.</summary>
public sealed class DatasetSim : SimFixture
{
    private readonly string _root = TestPaths.NewTempDirectory("ds");
    private readonly string _hfHome = TestPaths.NewTempDirectory("hf");

    protected override string[] ExtraArgs => ["--no-wake-up-on-start", "--datasets", _root];

    protected override IDictionary<string, string?>? Environment => new Dictionary<string, string?> { ["HF_HOME"] = _hfHome, ["HF_HUB_CACHE"] = null };

    protected override void Prepare()
    {
        var yes = Path.Combine(TestPaths.EmotionsLibrary, "yes1.json");
        var no = Path.Combine(TestPaths.EmotionsLibrary, "no1.json");
        // <root>/<owner>/<name>/<move>.json
        Directory.CreateDirectory(Path.Combine(_root, "acme", "flat"));
        File.Copy(yes, Path.Combine(_root, "acme", "flat", "nod.json"));
        // <root>/datasets--acme--cached/snapshots/<rev>/data/<move>.json
        var snapshot = Path.Combine(_root, "datasets--acme--cached", "snapshots", "0123abcd", "data");
        Directory.CreateDirectory(snapshot);
        File.Copy(no, Path.Combine(snapshot, "shake.json"));
        // $HF_HOME/hub/datasets--acme--home/snapshots/<rev>/<move>.json
        var home = Path.Combine(_hfHome, "hub", "datasets--acme--home", "snapshots", "feed");
        Directory.CreateDirectory(home);
        File.Copy(yes, Path.Combine(home, "bow.json"));
        File.WriteAllText(Path.Combine(home, "broken.json"), """{"description":"no frames"}""");
    }
}

/// <summary>Datasets found in every supported layout, listed and played; a broken move file is an error, not a crash.</summary>
public sealed class DatasetLayoutTests(DatasetSim sim) : IClassFixture<DatasetSim>
{
    [Theory]
    [InlineData("acme/flat", "nod")]
    [InlineData("acme/cached", "shake")]
    [InlineData("acme/home", "bow")]
    public async Task Dataset_IsListedAndPlayable(string dataset, string move)
    {
        var moves = (await sim.GetJsonAsync($"api/move/recorded-move-datasets/list/{dataset}"))!.AsArray().Select(m => m!.GetValue<string>()).ToList();
        Assert.Contains(move, moves);
        await sim.WaitIdleAsync();
        var (status, body, _) = await sim.PostJsonAsync($"api/move/play/recorded-move-dataset/{dataset}/{move}", null);
        Assert.Equal(200, status);
        var id = Guid.Parse(body!["uuid"]!.GetValue<string>());
        var entry = (await sim.GetJsonAsync("sim/moves"))!.AsArray().Single(m => m!["uuid"]!.GetValue<string>() == id.ToString())!;
        Assert.Equal($"{dataset}/{move}", entry["name"]!.GetValue<string>());
        Assert.True(entry["duration_s"]!.GetValue<double>() > 1);
        var (stop, _, _) = await sim.PostJsonAsync("api/move/stop", $$"""{"uuid":"{{id}}"}""");
        Assert.Equal(200, stop);
    }

    [Fact]
    public async Task BrokenMoveFile_Is500WithAReason_AndTheSimKeepsRunning()
    {
        var (status, body, _) = await sim.PostJsonAsync("api/move/play/recorded-move-dataset/acme/home/broken", null);
        Assert.Equal(500, status);
        Assert.Contains("set_target_data", body!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        await sim.AssertAliveAsync();
    }
}
