using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace RosaOS.Testing.Hub;

/// <summary>One request the stand-in received.</summary>
public sealed record HubRequest(string Method, string Path, string? Range, bool HadAuthorization);

/// <summary>
/// A stand-in for the Hugging Face Hub's file API, serving local folders as dataset repos the way the hub answers
/// huggingface_hub: <c>GET /api/datasets/&lt;repo&gt;/revision/&lt;rev&gt;</c> (commit <c>sha</c> and <c>siblings</c>),
/// <c>HEAD|GET /datasets/&lt;repo&gt;/resolve/&lt;rev&gt;/&lt;file&gt;</c> with <c>X-Repo-Commit</c>; regular files answer 200 with the
/// git blob sha1 as <c>ETag</c>, LFS files (those at or above <see cref="LfsThreshold"/> bytes) a 302 to an absolute
/// "CDN" URL with <c>X-Linked-Etag</c> (their sha256) and <c>X-Linked-Size</c>. Bodies honour <c>Range</c> (206).
/// Faults on demand: a connection cut after some bytes, a corrupted body. Every request is recorded.
/// </summary>
public sealed class ScriptedHubServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Dictionary<string, Repo> _repos = new(StringComparer.Ordinal);
    private readonly List<HubRequest> _requests = [];
    private readonly Dictionary<string, long> _cutAfter = new(StringComparer.Ordinal);
    private readonly HashSet<string> _corrupt = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    private ScriptedHubServer(WebApplication app)
    {
        _app = app;
    }

    /// <summary>The loopback port the OS gave it (it binds port 0).</summary>
    public int Port { get; private set; }

    /// <summary>The value for HF_ENDPOINT.</summary>
    public string Endpoint => $"http://127.0.0.1:{Port}";

    /// <summary>Files this size or larger are served as LFS files (302 to the CDN, sha256 ETag).</summary>
    public long LfsThreshold { get; set; } = 400_000;

    public IReadOnlyList<HubRequest> Requests
    {
        get
        {
            lock (_lock)
            {
                return [.. _requests];
            }
        }
    }

    /// <summary>Serves <paramref name="folder"/> as dataset <paramref name="repo"/> and returns its commit hash.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5350", Justification = "A git commit id is a SHA-1 by format, not a security measure.")]
    public string AddDataset(string repo, string folder)
    {
        var files = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(folder, f).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)
            .ToDictionary(f => f, f => File.ReadAllBytes(Path.Combine(folder, f)), StringComparer.Ordinal);
        var commit = Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(repo + string.Join("\n", files.Keys))));
        lock (_lock)
        {
            _repos[repo] = new Repo(commit, files);
        }
        return commit;
    }

    /// <summary>The first GET of this file's body closes the connection after <paramref name="bytes"/> bytes.</summary>
    public void CutOnce(string file, long bytes)
    {
        lock (_lock)
        {
            _cutAfter[file] = bytes;
        }
    }

    /// <summary>Every GET of this file's body sends other bytes of the same length (its metadata stays right).</summary>
    public void Corrupt(string file)
    {
        lock (_lock)
        {
            _corrupt.Add(file);
        }
    }

    /// <summary>The sha256 (LFS ETag) of a served file.</summary>
    public static string Sha256(byte[] content) => Convert.ToHexStringLower(SHA256.HashData(content));

    /// <summary>The git blob sha1 (regular files' ETag) of a served file.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5350", Justification = "Git names blobs by SHA-1; the hub's ETag is that name.")]
    public static string GitBlobSha1(byte[] content)
        => Convert.ToHexStringLower(SHA1.HashData([.. Encoding.ASCII.GetBytes($"blob {content.Length.ToString(CultureInfo.InvariantCulture)}\0"), .. content]));

    public static async Task<ScriptedHubServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrelCore().UseUrls(LoopbackPort.Url);
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new ScriptedHubServer(app);
        app.Use(async (context, next) =>
        {
            lock (server._lock)
            {
                server._requests.Add(new HubRequest(context.Request.Method, context.Request.Path.Value ?? "",
                    context.Request.Headers.Range.ToString() is { Length: > 0 } r ? r : null, context.Request.Headers.Authorization.Count > 0));
            }
            await next(context);
        });
        app.MapGet("/api/datasets/{owner}/{name}/revision/{revision}", (string owner, string name, string revision) =>
        {
            if (server.Find($"{owner}/{name}") is not { } repo || (revision != "main" && revision != repo.Commit))
            {
                return NotFound();
            }
            var siblings = new JsonArray([.. repo.Files.Keys.Select(f => (JsonNode)new JsonObject { ["rfilename"] = f })]);
            return Results.Json(new JsonObject { ["id"] = $"{owner}/{name}", ["sha"] = repo.Commit, ["private"] = false, ["siblings"] = siblings });
        });
        app.MapMethods("/datasets/{owner}/{name}/resolve/{revision}/{**file}", ["GET", "HEAD"], (HttpContext context, string owner, string name, string revision, string file) =>
        {
            if (server.Find($"{owner}/{name}") is not { } repo || (revision != "main" && revision != repo.Commit)
                || !repo.Files.TryGetValue(file, out var content))
            {
                return Task.FromResult(NotFound());
            }
            var response = context.Response;
            response.Headers["X-Repo-Commit"] = repo.Commit;
            if (content.Length >= server.LfsThreshold)
            {
                var sha = Sha256(content);
                response.Headers["X-Linked-Etag"] = $"\"{sha}\"";
                response.Headers["X-Linked-Size"] = content.Length.ToString(CultureInfo.InvariantCulture);
                response.Headers.ETag = $"\"{GitBlobSha1(Encoding.UTF8.GetBytes($"version https://git-lfs.github.com/spec/v1\noid sha256:{sha}\nsize {content.Length}\n"))}\"";
                return Task.FromResult(Results.Redirect($"{server.Endpoint}/cdn/{Uri.EscapeDataString(owner)}/{Uri.EscapeDataString(name)}/{sha}?file={Uri.EscapeDataString(file)}"));
            }
            response.Headers.ETag = $"\"{GitBlobSha1(content)}\"";
            return server.ServeAsync(context, file, content);
        });
        app.MapGet("/cdn/{owner}/{name}/{sha}", (HttpContext context, string owner, string name, string sha, string file) =>
            server.Find($"{owner}/{name}") is { } repo && repo.Files.TryGetValue(file, out var content) && Sha256(content) == sha
                ? server.ServeAsync(context, file, content)
                : Task.FromResult(Results.NotFound()));
        await app.StartAsync();
        server.Port = LoopbackPort.Of(app);
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private static IResult NotFound()
        => Results.Json(new { error = "Repository not found" }, statusCode: 404);

    private Repo? Find(string repo)
    {
        lock (_lock)
        {
            return _repos.GetValueOrDefault(repo);
        }
    }

    private async Task<IResult> ServeAsync(HttpContext context, string file, byte[] content)
    {
        var response = context.Response;
        response.Headers.AcceptRanges = "bytes";
        if (HttpMethods.IsHead(context.Request.Method))
        {
            response.ContentLength = content.Length;
            return Results.Empty;
        }
        long? cut;
        bool corrupt;
        lock (_lock)
        {
            cut = _cutAfter.Remove(file, out var c) ? c : null;
            corrupt = _corrupt.Contains(file);
        }
        var body = corrupt ? [.. content.Select(b => (byte)~b)] : content;
        var start = 0L;
        if (context.Request.Headers.Range.ToString() is { Length: > 0 } range && range.StartsWith("bytes=", StringComparison.Ordinal)
            && long.TryParse(range["bytes=".Length..].TrimEnd('-'), NumberStyles.None, CultureInfo.InvariantCulture, out var from))
        {
            if (from >= body.Length)
            {
                response.Headers.ContentRange = $"bytes */{body.Length}";
                return Results.StatusCode(416);
            }
            start = from;
            response.StatusCode = 206;
            response.Headers.ContentRange = $"bytes {start}-{body.Length - 1}/{body.Length}";
        }
        response.ContentType = "application/octet-stream";
        response.ContentLength = body.Length - start;
        if (cut is { } after)
        {
            await response.Body.WriteAsync(body.AsMemory((int)start, (int)Math.Min(after, body.Length - start)));
            await response.Body.FlushAsync();
            // A cut connection: the client has part of the body and a closed socket.
            context.Abort();
            return Results.Empty;
        }
        await response.Body.WriteAsync(body.AsMemory((int)start));
        return Results.Empty;
    }

    private sealed record Repo(string Commit, IReadOnlyDictionary<string, byte[]> Files);
}
