using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Polly;

namespace RosaOS.Simulator.Datasets;

/// <summary>How far a dataset download is.</summary>
internal sealed record HubProgress(string Repo, int FilesDone, int FilesTotal, long BytesDone, long BytesTotal);

/// <summary>A dataset could not be fetched; the message says why in words a user can act on.</summary>
internal sealed class HubDownloadException : Exception
{
    public HubDownloadException(string message)
        : base(message)
    {
    }

    public HubDownloadException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public HubDownloadException()
    {
    }
}

/// <summary>
/// Downloads a dataset repo into the Hugging Face cache the way huggingface_hub's snapshot_download does, so the daemon,
/// the Python tools and this simulator share one cache: the repo's commit and files from
/// <c>/api/datasets/&lt;repo&gt;/revision/&lt;rev&gt;</c>; per file a HEAD of <c>/datasets/&lt;repo&gt;/resolve/&lt;commit&gt;/&lt;file&gt;</c>
/// (X-Repo-Commit, X-Linked-Etag or ETag, X-Linked-Size or Content-Length; only relative redirects followed); the body
/// into <c>blobs/&lt;etag&gt;.incomplete</c>, resumed with a Range request after a cut, checked (sha256 for LFS files,
/// the git blob sha1 for the others) and renamed to <c>blobs/&lt;etag&gt;</c>; then <c>snapshots/&lt;commit&gt;/&lt;file&gt;</c>
/// symlinks and <c>refs/&lt;rev&gt;</c>. The snapshot's links are made only once every blob is verified, so a cut download never
/// looks complete.
/// </summary>
internal sealed partial class HubClient : IDisposable
{
    private const int Parallel = 4;
    private const int MaxAttemptsWithoutProgress = 5;
    private static readonly TimeSpan s_metadataTimeout = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan s_stallTimeout = TimeSpan.FromSeconds(30);

    private readonly HubSettings _settings;
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;

    /// <summary>The <see cref="IHttpClientFactory"/> name of the hub's client.</summary>
    public const string HttpClientName = "hf-hub";

    /// <summary>A client with its own handler chain: <paramref name="handler"/> as given (tests), else <see cref="CreateHandler"/>'s.</summary>
    public HubClient(HubSettings settings, HttpMessageHandler? handler = null)
        : this(settings, new HttpClient(handler ?? CreateHandler()))
    {
        _ownsHttp = true;
    }

    /// <summary>A client over <paramref name="http"/> (<see cref="HttpClientName"/> from the factory; not disposed here).</summary>
    public HubClient(HubSettings settings, HttpClient http)
    {
        ArgumentNullException.ThrowIfNull(http);
        _settings = settings;
        _http = http;
        _http.Timeout = Timeout.InfiniteTimeSpan;
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("rosaOS-sim", Hosting.RosaWebHost.Version));
    }

    /// <summary>Registers <see cref="HttpClientName"/> with the hub pipeline and the singleton client over it.</summary>
    public static IServiceCollection AddHubClient(IServiceCollection services, HubSettings settings)
    {
        var builder = services.AddHttpClient(HttpClientName).ConfigurePrimaryHttpMessageHandler(CreatePrimaryHandler);
        builder.AddResilienceHandler("hub-retry", pipeline => pipeline.AddRetry(RetryOptions()));
        services.AddSingleton(sp => new HubClient(settings, sp.GetRequiredService<IHttpClientFactory>().CreateClient(HttpClientName)));
        return services;
    }

    /// <summary>
    /// The hub pipeline without a container: a metadata read (GET, HEAD) that meets a passing failure (refused or reset
    /// connection, 408, 429 with its retry-after, 5xx) is asked again twice with a short backoff. A cut body is not this
    /// layer's business: <see cref="DownloadBlobAsync"/> resumes it with a Range request, as huggingface_hub does.
    /// </summary>
    public static HttpMessageHandler CreateHandler()
        => new ResilienceHandler(new ResiliencePipelineBuilder<HttpResponseMessage>().AddRetry(RetryOptions()).Build())
        {
            InnerHandler = CreatePrimaryHandler(),
        };

    // Redirects are followed by hand: HEAD only relative ones (an LFS file's metadata is on the 302 itself).
    private static SocketsHttpHandler CreatePrimaryHandler() => new() { AllowAutoRedirect = false, AutomaticDecompression = DecompressionMethods.None };

    private static HttpRetryStrategyOptions RetryOptions()
    {
        var options = new HttpRetryStrategyOptions
        {
            MaxRetryAttempts = 2,
            Delay = TimeSpan.FromMilliseconds(200),
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            MaxDelay = TimeSpan.FromSeconds(10),
        };
        options.DisableForUnsafeHttpMethods();
        return options;
    }

    public HubSettings Settings => _settings;

    // HF_ENDPOINT may carry a path (a mirror under https://host/hf); every API path goes after it.
    private string Base => _settings.Endpoint.AbsoluteUri.TrimEnd('/');

    /// <summary>A snapshot of <paramref name="repo"/> already in the cache (refs/&lt;revision&gt;), or null.</summary>
    public string? CachedSnapshot(string repo, string revision = "main")
    {
        var folder = _settings.RepoFolder(repo);
        var reference = Path.Combine(folder, "refs", revision);
        if (File.Exists(reference) && File.ReadAllText(reference).Trim() is { Length: > 0 } commit && CommitHash().IsMatch(commit))
        {
            var snapshot = Path.Combine(folder, "snapshots", commit);
            return Directory.Exists(snapshot) ? snapshot : null;
        }
        return null;
    }

    /// <summary>Downloads (or completes) the snapshot of a dataset repo at a revision and returns its folder.</summary>
    /// <exception cref="HubDownloadException">Offline without a cached copy, unreachable hub, unknown repo, or a file that failed its check.</exception>
    public async Task<string> SnapshotAsync(string repo, string revision, IProgress<HubProgress>? progress, CancellationToken cancellationToken)
    {
        if (!RepoId().IsMatch(repo) || repo.Contains("..", StringComparison.Ordinal))
        {
            throw new HubDownloadException($"'{repo}' is not a dataset id of the form owner/name.");
        }
        if (_settings.Offline)
        {
            return CachedSnapshot(repo, revision)
                ?? throw new HubDownloadException($"HF_HUB_OFFLINE is set and the Hugging Face cache ({_settings.CacheDirectory}) has no copy of {repo}.");
        }
        var (commit, files) = await RepoInfoAsync(repo, revision, cancellationToken);
        var folder = _settings.RepoFolder(repo);
        var metadata = await ForEachAsync(files, f => HeadAsync(repo, commit, f, cancellationToken));
        var total = metadata.Sum(m => m.Size);
        var state = new DownloadState(repo, metadata.Count, total, progress);
        state.Report();
        await ForEachAsync(metadata, async m =>
        {
            await DownloadBlobAsync(folder, m, state, cancellationToken);
            state.FileDone();
            return true;
        });

        var snapshot = Path.Combine(folder, "snapshots", commit);
        foreach (var m in metadata)
        {
            LinkIntoSnapshot(folder, snapshot, m);
        }
        var reference = Path.Combine(folder, "refs", revision);
        Directory.CreateDirectory(Path.GetDirectoryName(reference)!);
        if (revision != commit)
        {
            await File.WriteAllTextAsync(reference, commit, cancellationToken);
        }
        return snapshot;
    }

    public void Dispose()
    {
        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }

    private async Task<(string Commit, IReadOnlyList<string> Files)> RepoInfoAsync(string repo, string revision, CancellationToken cancellationToken)
    {
        var url = new Uri($"{Base}/api/datasets/{repo}/revision/{Uri.EscapeDataString(revision)}");
        using var response = await SendAsync(HttpMethod.Get, url, followAbsolute: true, cancellationToken);
        await ThrowForStatusAsync(response, repo, url);
        using var document = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
        var root = document.RootElement;
        if (!root.TryGetProperty("sha", out var sha) || sha.GetString() is not { } commit || !CommitHash().IsMatch(commit)
            || !root.TryGetProperty("siblings", out var siblings) || siblings.ValueKind != JsonValueKind.Array)
        {
            throw new HubDownloadException($"{url} answered without a commit \"sha\" and a \"siblings\" list.");
        }
        var files = new List<string>();
        foreach (var sibling in siblings.EnumerateArray())
        {
            if (sibling.TryGetProperty("rfilename", out var name) && name.GetString() is { Length: > 0 } file)
            {
                // A file name from the network decides where we write: it must stay inside the snapshot.
                if (Path.IsPathRooted(file) || file.Split('/').Any(part => part is "" or "." or ".."))
                {
                    throw new HubDownloadException($"{url} lists a file name that leaves the dataset folder: '{file}'.");
                }
                files.Add(file);
            }
        }
        return (commit, files);
    }

    private async Task<FileMetadata> HeadAsync(string repo, string commit, string file, CancellationToken cancellationToken)
    {
        var url = new Uri($"{Base}/datasets/{repo}/resolve/{commit}/{string.Join('/', file.Split('/').Select(Uri.EscapeDataString))}");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(s_metadataTimeout);
        using var response = await SendAsync(HttpMethod.Head, url, followAbsolute: false, timeout.Token);
        if ((int)response.StatusCode is >= 400)
        {
            await ThrowForStatusAsync(response, repo, url);
        }
        var headers = response.Headers;
        var redirected = (int)response.StatusCode is >= 300 and < 400;
        var etag = NormalizeEtag(Header(response, "X-Linked-Etag") ?? headers.ETag?.Tag ?? Header(response, "ETag"))
            ?? throw new HubDownloadException($"{url} answered without an ETag: the file cannot be checked or cached.");
        var sizeText = Header(response, "X-Linked-Size") ?? (redirected ? null : response.Content.Headers.ContentLength?.ToString(CultureInfo.InvariantCulture));
        if (!long.TryParse(sizeText, NumberStyles.None, CultureInfo.InvariantCulture, out var size))
        {
            throw new HubDownloadException($"{url} answered without the file's size (X-Linked-Size or Content-Length).");
        }
        if (!EtagName().IsMatch(etag))
        {
            throw new HubDownloadException($"{url} answered with an ETag that cannot name a cache file: '{etag}'.");
        }
        var location = redirected && headers.Location is { } l ? new Uri(url, l) : url;
        return new FileMetadata(file, etag, size, location, Header(response, "X-Repo-Commit") ?? commit);
    }

    private async Task DownloadBlobAsync(string folder, FileMetadata file, DownloadState state, CancellationToken cancellationToken)
    {
        var blob = Path.Combine(folder, "blobs", file.Etag);
        if (File.Exists(blob))
        {
            state.Add(file.Size);
            return;
        }
        Directory.CreateDirectory(Path.GetDirectoryName(blob)!);
        var incomplete = blob + ".incomplete";
        // Bytes left by an earlier, cut run count as done: only the rest is fetched.
        state.Add(File.Exists(incomplete) ? Math.Min(new FileInfo(incomplete).Length, file.Size) : 0);
        var failures = 0;
        while (true)
        {
            var before = File.Exists(incomplete) ? new FileInfo(incomplete).Length : 0;
            try
            {
                await FetchIntoAsync(file, incomplete, state, cancellationToken);
                break;
            }
            catch (Exception e) when (e is IOException or HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                var after = File.Exists(incomplete) ? new FileInfo(incomplete).Length : 0;
                // As huggingface_hub: a cut connection resumes where it stopped; five attempts in a row without new bytes give up.
                failures = after > before ? 1 : failures + 1;
                if (failures >= MaxAttemptsWithoutProgress)
                {
                    throw new HubDownloadException($"Downloading {file.Path} of {state.Repo} failed {failures} times in a row: {e.Message}", e);
                }
            }
        }
        var length = new FileInfo(incomplete).Length;
        if (length != file.Size)
        {
            File.Delete(incomplete);
            state.Add(-length);
            throw new HubDownloadException($"{file.Path} of {state.Repo} should be {file.Size} bytes but {length} arrived; the download was discarded.");
        }
        if (await VerifyAsync(incomplete, file, cancellationToken) is { } mismatch)
        {
            File.Delete(incomplete);
            state.Add(-length);
            throw new HubDownloadException($"{file.Path} of {state.Repo} failed its check ({mismatch}); the download was discarded.");
        }
        File.Move(incomplete, blob, overwrite: true);
    }

    private async Task FetchIntoAsync(FileMetadata file, string incomplete, DownloadState state, CancellationToken cancellationToken)
    {
        await using var output = new FileStream(incomplete, FileMode.OpenOrCreate, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
        var resume = output.Length;
        if (resume > file.Size)
        {
            output.SetLength(0);
            state.Add(-file.Size);
            resume = 0;
        }
        if (resume == file.Size)
        {
            return;
        }
        using var stall = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        stall.CancelAfter(s_stallTimeout);
        using var request = new HttpRequestMessage(HttpMethod.Get, file.Location);
        request.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("identity"));
        if (resume > 0)
        {
            request.Headers.Range = new RangeHeaderValue(resume, null);
        }
        using var response = await SendAsync(request, followAbsolute: true, stall.Token);
        if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
        {
            // The partial file is not a prefix the server recognises: start over.
            output.SetLength(0);
            state.Add(-resume);
            throw new IOException("the server refused to resume (416); starting the file over");
        }
        await ThrowForStatusAsync(response, state.Repo, file.Location);
        if (resume > 0 && response.StatusCode != HttpStatusCode.PartialContent)
        {
            // The server ignored the Range: the body is the whole file.
            output.SetLength(0);
            state.Add(-resume);
            resume = 0;
        }
        output.Seek(resume, SeekOrigin.Begin);
        await using var body = await response.Content.ReadAsStreamAsync(stall.Token);
        var buffer = new byte[1 << 16];
        int read;
        while ((read = await body.ReadAsync(buffer, stall.Token)) > 0)
        {
            await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            state.Add(read);
            stall.CancelAfter(s_stallTimeout);
        }
        await output.FlushAsync(cancellationToken);
        if (output.Length < file.Size)
        {
            throw new IOException($"the connection closed after {output.Length} of {file.Size} bytes");
        }
    }

    /// <summary>Null when the file matches its ETag: sha256 for LFS files (64 hex), the git blob sha1 for the others (40 hex).</summary>
    private static async Task<string?> VerifyAsync(string path, FileMetadata file, CancellationToken cancellationToken)
    {
        var lfs = file.Etag.Length == 64;
        if (!lfs && file.Etag.Length != 40)
        {
            return null;
        }
        using var hash = IncrementalHash.CreateHash(lfs ? HashAlgorithmName.SHA256 : HashAlgorithmName.SHA1);
        if (!lfs)
        {
            hash.AppendData(Encoding.ASCII.GetBytes($"blob {file.Size.ToString(CultureInfo.InvariantCulture)}\0"));
        }
        await using var input = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        var buffer = new byte[1 << 16];
        int read;
        while ((read = await input.ReadAsync(buffer, cancellationToken)) > 0)
        {
            hash.AppendData(buffer, 0, read);
        }
        var actual = Convert.ToHexStringLower(hash.GetHashAndReset());
        return actual == file.Etag ? null : $"{(lfs ? "sha256" : "git blob sha1")} {actual}, expected {file.Etag}";
    }

    private static void LinkIntoSnapshot(string folder, string snapshot, FileMetadata file)
    {
        var pointer = Path.Combine(snapshot, Path.Combine(file.Path.Split('/')));
        var blob = Path.Combine(folder, "blobs", file.Etag);
        Directory.CreateDirectory(Path.GetDirectoryName(pointer)!);
        if (File.Exists(pointer) || new FileInfo(pointer).LinkTarget is not null)
        {
            File.Delete(pointer);
        }
        // Relative, as huggingface_hub makes them: the cache folder can move.
        File.CreateSymbolicLink(pointer, Path.GetRelativePath(Path.GetDirectoryName(pointer)!, blob));
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, Uri url, bool followAbsolute, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, url);
        request.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("identity"));
        return await SendAsync(request, followAbsolute, cancellationToken);
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage first, bool followAbsolute, CancellationToken cancellationToken)
    {
        var request = first;
        for (var hops = 0; ; hops++)
        {
            // The token goes only to the hub itself, never to a CDN it redirects to.
            if (_settings.Token is { } token && request.RequestUri!.Host == _settings.Endpoint.Host)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }
            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            }
            catch (HttpRequestException e)
            {
                throw new HubDownloadException($"cannot reach {Base} ({e.Message}); set HF_HUB_OFFLINE=1 to use only the local cache", e);
            }
            finally
            {
                if (request != first)
                {
                    request.Dispose();
                }
            }
            var status = (int)response.StatusCode;
            if (status is < 300 or >= 400 || response.Headers.Location is not { } location || hops >= 5)
            {
                return response;
            }
            if (location.IsAbsoluteUri && !followAbsolute)
            {
                return response;
            }
            var next = new Uri(request.RequestUri!, location);
            response.Dispose();
            request = new HttpRequestMessage(first.Method, next);
            foreach (var header in first.Headers.Where(h => h.Key != "Authorization"))
            {
                request.Headers.TryAddWithoutValidation(header.Key, header.Value);
            }
        }
    }

    private static async Task ThrowForStatusAsync(HttpResponseMessage response, string repo, Uri url)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }
        var status = (int)response.StatusCode;
        var hint = Header(response, "X-Error-Message") ?? (await response.Content.ReadAsStringAsync()).Trim();
        if (hint.Length > 200)
        {
            hint = hint[..200];
        }
        throw status switch
        {
            404 => new HubDownloadException($"Repository Not Found for url: {url} ({repo} is not a public dataset on the hub). {hint}".TrimEnd()),
            401 or 403 => new HubDownloadException($"{url} answered {status}: {repo} is private or gated; set HF_TOKEN to a token that may read it."),
            _ => new HubDownloadException($"{url} answered {status} {response.ReasonPhrase}. {hint}".TrimEnd()),
        };
    }

    private static string? Header(HttpResponseMessage response, string name)
        => response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values) ? values.FirstOrDefault() : null;

    private static string? NormalizeEtag(string? etag)
    {
        if (etag is null)
        {
            return null;
        }
        var value = etag.StartsWith("W/", StringComparison.Ordinal) ? etag[2..] : etag;
        return value.Trim('"');
    }

    private static async Task<List<TResult>> ForEachAsync<T, TResult>(IEnumerable<T> items, Func<T, Task<TResult>> action)
    {
        using var gate = new SemaphoreSlim(Parallel);
        var tasks = items.Select(async item =>
        {
            await gate.WaitAsync();
            try
            {
                return await action(item);
            }
            finally
            {
                gate.Release();
            }
        }).ToList();
        return [.. await Task.WhenAll(tasks)];
    }

    [GeneratedRegex("^[0-9a-f]{40}$")]
    private static partial Regex CommitHash();

    [GeneratedRegex(@"^[A-Za-z0-9][\w.-]*/[\w.-]+$")]
    private static partial Regex RepoId();

    [GeneratedRegex("^[A-Za-z0-9._-]+$")]
    private static partial Regex EtagName();

    private sealed record FileMetadata(string Path, string Etag, long Size, Uri Location, string Commit);

    /// <summary>Counts files and bytes across the parallel downloads and reports them.</summary>
    private sealed class DownloadState(string repo, int files, long bytes, IProgress<HubProgress>? progress)
    {
        private int _filesDone;
        private long _bytesDone;

        public string Repo => repo;

        public void Add(long count)
        {
            Interlocked.Add(ref _bytesDone, count);
            Report();
        }

        public void FileDone()
        {
            Interlocked.Increment(ref _filesDone);
            Report();
        }

        public void Report() => progress?.Report(new HubProgress(repo, Volatile.Read(ref _filesDone), files, Interlocked.Read(ref _bytesDone), bytes));
    }
}
