using RosaOS.Simulator.Datasets;
using RosaOS.Testing;
using RosaOS.Testing.Hub;

namespace RosaOS.Simulator.Tests;

/// <summary>
/// The real Hub download code against a stand-in of the hub's file API serving the emotions library: a fresh download
/// into the Hugging Face cache layout, a resume after a cut connection (in the same run and from an earlier run's
/// .incomplete file), a corrupt file rejected, and offline mode.
/// </summary>
public sealed class HubDownloadTests : IAsyncLifetime
{
    private const string Repo = "pollen-robotics/reachy-mini-emotions-library";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private ScriptedHubServer _hub = null!;
    private string _commit = "";
    private readonly string _cache = TestPaths.NewTempDirectory("hfcache");

    public async ValueTask InitializeAsync()
    {
        _hub = await ScriptedHubServer.StartAsync();
        _commit = _hub.AddDataset(Repo, TestPaths.EmotionsLibrary);
    }

    public async ValueTask DisposeAsync()
    {
        await _hub.DisposeAsync();
        Directory.Delete(_cache, recursive: true);
    }

    private HubClient Client(bool offline = false) => new(new HubSettings(new Uri(_hub.Endpoint), _cache, offline, Token: null));

    private string RepoFolder => Path.Combine(_cache, "datasets--pollen-robotics--reachy-mini-emotions-library");

    private static string[] SourceFiles => [.. Directory.GetFiles(TestPaths.EmotionsLibrary).Select(Path.GetFileName).Order(StringComparer.Ordinal)!];

    /// <summary>The GETs that carried the file's body: the resolve URL for a regular file, the CDN URL for an LFS file.</summary>
    private List<HubRequest> BodyRequests(string file)
    {
        var content = File.ReadAllBytes(Path.Combine(TestPaths.EmotionsLibrary, file));
        var suffix = content.Length >= _hub.LfsThreshold ? "/" + ScriptedHubServer.Sha256(content) : "/" + file;
        return [.. _hub.Requests.Where(r => r.Method == "GET" && r.Path.EndsWith(suffix, StringComparison.Ordinal))];
    }

    [Fact]
    public async Task A_fresh_download_fills_the_hugging_face_cache_layout_with_verified_files()
    {
        var reports = new List<HubProgress>();
        using var client = Client();
        var snapshot = await client.SnapshotAsync(Repo, "main", new SyncProgress(reports), Ct);

        Assert.Equal(Path.Combine(RepoFolder, "snapshots", _commit), snapshot);
        Assert.Equal(_commit, File.ReadAllText(Path.Combine(RepoFolder, "refs", "main")));
        Assert.Equal(SourceFiles, Directory.GetFiles(snapshot).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        var lfs = 0;
        foreach (var name in SourceFiles)
        {
            var original = File.ReadAllBytes(Path.Combine(TestPaths.EmotionsLibrary, name));
            var pointer = new FileInfo(Path.Combine(snapshot, name));
            // Each snapshot entry is a relative link to a blob named by its ETag: sha256 for LFS files, the git blob sha1 for the others.
            var expectedBlob = original.Length >= _hub.LfsThreshold ? ScriptedHubServer.Sha256(original) : ScriptedHubServer.GitBlobSha1(original);
            lfs += original.Length >= _hub.LfsThreshold ? 1 : 0;
            Assert.Equal(Path.Combine("..", "..", "blobs", expectedBlob), pointer.LinkTarget);
            Assert.Equal(original, File.ReadAllBytes(pointer.FullName));
        }
        Assert.InRange(lfs, 1, SourceFiles.Length - 1);
        Assert.Empty(Directory.GetFiles(Path.Combine(RepoFolder, "blobs"), "*.incomplete"));
        var last = reports.MaxBy(r => (r.FilesDone, r.BytesDone))!;
        Assert.Equal((SourceFiles.Length, SourceFiles.Length), (last.FilesDone, last.FilesTotal));
        Assert.Equal(SourceFiles.Sum(f => new FileInfo(Path.Combine(TestPaths.EmotionsLibrary, f)).Length), last.BytesTotal);
        Assert.Equal(last.BytesTotal, last.BytesDone);

        // A second run finds every blob: metadata only, no body is fetched again.
        var gets = _hub.Requests.Count(r => r.Method == "GET");
        Assert.Equal(snapshot, await client.SnapshotAsync(Repo, "main", null, Ct));
        Assert.Equal(gets + 1, _hub.Requests.Count(r => r.Method == "GET"));
    }

    [Fact]
    public async Task A_cut_connection_resumes_with_a_range_request_in_the_same_run_and_from_an_earlier_runs_incomplete_file()
    {
        var large = SourceFiles.First(f => new FileInfo(Path.Combine(TestPaths.EmotionsLibrary, f)).Length >= _hub.LfsThreshold);
        _hub.CutOnce(large, 100_000);
        // An earlier run was killed half-way through a small file: its .incomplete is where huggingface_hub leaves it.
        const string small = "yes1.json";
        var smallBytes = File.ReadAllBytes(Path.Combine(TestPaths.EmotionsLibrary, small));
        var blobs = Path.Combine(RepoFolder, "blobs");
        Directory.CreateDirectory(blobs);
        File.WriteAllBytes(Path.Combine(blobs, ScriptedHubServer.GitBlobSha1(smallBytes) + ".incomplete"), smallBytes[..40_000]);

        using var client = Client();
        var snapshot = await client.SnapshotAsync(Repo, "main", null, Ct);

        var largeGets = BodyRequests(large);
        Assert.Equal(2, largeGets.Count);
        Assert.Null(largeGets[0].Range);
        Assert.Equal("bytes=100000-", largeGets[1].Range);
        Assert.Equal(File.ReadAllBytes(Path.Combine(TestPaths.EmotionsLibrary, large)), File.ReadAllBytes(Path.Combine(snapshot, large)));
        var smallGet = Assert.Single(BodyRequests(small));
        Assert.Equal("bytes=40000-", smallGet.Range);
        Assert.Equal(smallBytes, File.ReadAllBytes(Path.Combine(snapshot, small)));
    }

    [Theory]
    [InlineData("yes1.json", "git blob sha1")]
    [InlineData(null, "sha256")]
    public async Task A_corrupt_file_is_rejected_discarded_and_the_snapshot_is_not_made(string? file, string check)
    {
        file ??= SourceFiles.First(f => new FileInfo(Path.Combine(TestPaths.EmotionsLibrary, f)).Length >= _hub.LfsThreshold);
        _hub.Corrupt(file);
        using var client = Client();
        var error = await Assert.ThrowsAsync<HubDownloadException>(() => client.SnapshotAsync(Repo, "main", null, Ct));
        Assert.Contains(file, error.Message, StringComparison.Ordinal);
        Assert.Contains(check, error.Message, StringComparison.Ordinal);
        Assert.Contains("discarded", error.Message, StringComparison.Ordinal);
        var original = File.ReadAllBytes(Path.Combine(TestPaths.EmotionsLibrary, file));
        var etag = check == "sha256" ? ScriptedHubServer.Sha256(original) : ScriptedHubServer.GitBlobSha1(original);
        Assert.False(File.Exists(Path.Combine(RepoFolder, "blobs", etag)));
        Assert.False(File.Exists(Path.Combine(RepoFolder, "blobs", etag + ".incomplete")));
        Assert.False(Directory.Exists(Path.Combine(RepoFolder, "snapshots")), "a snapshot with a bad file must not look complete");
        Assert.False(File.Exists(Path.Combine(RepoFolder, "refs", "main")));
        Assert.Null(client.CachedSnapshot(Repo));
    }

    [Fact]
    public async Task Offline_uses_the_cache_only_and_says_why_when_it_is_empty()
    {
        using (var offline = Client(offline: true))
        {
            var error = await Assert.ThrowsAsync<HubDownloadException>(() => offline.SnapshotAsync(Repo, "main", null, Ct));
            Assert.Contains("HF_HUB_OFFLINE", error.Message, StringComparison.Ordinal);
            Assert.Contains(_cache, error.Message, StringComparison.Ordinal);
        }
        Assert.Empty(_hub.Requests);

        using (var online = Client())
        {
            await online.SnapshotAsync(Repo, "main", null, Ct);
        }
        var requests = _hub.Requests.Count;
        using (var offline = Client(offline: true))
        {
            var snapshot = await offline.SnapshotAsync(Repo, "main", null, Ct);
            Assert.Equal(File.ReadAllBytes(Path.Combine(TestPaths.EmotionsLibrary, "sad2.json")), File.ReadAllBytes(Path.Combine(snapshot, "sad2.json")));
        }
        Assert.Equal(requests, _hub.Requests.Count);
    }

    [Fact]
    public async Task An_unknown_dataset_and_an_unreachable_hub_are_refused_with_the_reason()
    {
        using var client = Client();
        var missing = await Assert.ThrowsAsync<HubDownloadException>(() => client.SnapshotAsync("nobody/nothing", "main", null, Ct));
        Assert.StartsWith("Repository Not Found for url: ", missing.Message, StringComparison.Ordinal);
        using var closed = new HubClient(new HubSettings(new Uri($"http://127.0.0.1:{FreePort.Next()}"), _cache, false, null));
        var unreachable = await Assert.ThrowsAsync<HubDownloadException>(() => closed.SnapshotAsync(Repo, "main", null, Ct));
        Assert.Contains("cannot reach", unreachable.Message, StringComparison.Ordinal);
        Assert.Contains("HF_HUB_OFFLINE", unreachable.Message, StringComparison.Ordinal);
    }

    /// <summary>Collects reports on the reporting thread (Progress&lt;T&gt; would post them later).</summary>
    private sealed class SyncProgress(List<HubProgress> reports) : IProgress<HubProgress>
    {
        public void Report(HubProgress value)
        {
            lock (reports)
            {
                reports.Add(value);
            }
        }
    }
}
