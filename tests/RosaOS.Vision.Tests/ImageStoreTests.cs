using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using RosaOS.Testing;
using RosaOS.Vision.Images;

namespace RosaOS.Vision.Tests;

public sealed class ImageStoreTests : IDisposable
{
    private readonly string _base = TestPaths.NewTempDirectory("images");
    private readonly string _images;
    private readonly string _outside;
    private readonly ImageStore _store;

    public ImageStoreTests()
    {
        _images = Path.Combine(_base, "images");
        _outside = Path.Combine(_base, "secret");
        Directory.CreateDirectory(Path.Combine(_images, "reachy"));
        Directory.CreateDirectory(_outside);
        File.WriteAllBytes(Path.Combine(_images, "reachy", "shot.jpg"), [0xFF, 0xD8, 0xFF]);
        File.WriteAllText(Path.Combine(_outside, "passwords.jpg"), "secret");
        _store = new ImageStore(new ImageStoreOptions { ImagesDirectory = _images });
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("reachy/shot.jpg")]
    [InlineData("./reachy/shot.jpg")]
    [InlineData("reachy//shot.jpg")]
    [InlineData("reachy/../reachy/shot.jpg")]
    [InlineData("  reachy/shot.jpg  ")]
    public async Task RelativeNames_ResolveUnderTheImagesFolder(string argument)
    {
        Assert.Equal(Path.Combine(_store.Root, "reachy", "shot.jpg"), await _store.ResolveAsync(argument, Ct));
    }

    [Fact]
    public async Task AbsolutePathUnderTheFolder_IsAccepted()
    {
        var path = Path.Combine(_images, "reachy", "shot.jpg");
        Assert.Equal(path, await _store.ResolveAsync(path, Ct));
    }

    [Theory]
    [InlineData("../secret/passwords.jpg", "outside the images folder")]
    [InlineData("reachy/../../secret/passwords.jpg", "outside the images folder")]
    [InlineData("/etc/passwd", "outside the images folder")]
    [InlineData("file:///etc/passwd", "URI schemes")]
    [InlineData("data:image/png;base64,iVBORw0KGgo=", "URI schemes")]
    [InlineData("ftp://example.com/a.jpg", "URI schemes")]
    [InlineData("http://127.0.0.1:1/a.jpg", "URLs are disabled")]
    [InlineData("https://example.com/cat.jpg", "ROSAOS_VISION_ALLOW_URLS")]
    [InlineData("", "No image given")]
    [InlineData("   ", "No image given")]
    [InlineData(null, "No image given")]
    [InlineData("a\0b.jpg", "not a valid file name")]
    [InlineData("missing.jpg", "No image 'missing.jpg'")]
    [InlineData("reachy", "is a folder")]
    public async Task BadArguments_AreRefusedWithAReason(string? argument, string reason)
    {
        var ex = await Assert.ThrowsAsync<VisionException>(() => _store.ResolveAsync(argument, Ct));
        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AbsolutePathOutside_IsRefused_EvenWhenTheFileExists()
    {
        var ex = await Assert.ThrowsAsync<VisionException>(() => _store.ResolveAsync(Path.Combine(_outside, "passwords.jpg"), Ct));
        Assert.Contains("outside the images folder", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HugeArgument_IsRefused()
    {
        var ex = await Assert.ThrowsAsync<VisionException>(() => _store.ResolveAsync(new string('a', 100_000), Ct));
        Assert.Contains("not a valid file name", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LinkToAFileOutside_IsRefused()
    {
        File.CreateSymbolicLink(Path.Combine(_images, "innocent.jpg"), Path.Combine(_outside, "passwords.jpg"));

        var ex = await Assert.ThrowsAsync<VisionException>(() => _store.ResolveAsync("innocent.jpg", Ct));
        Assert.Contains("link to a file outside", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LinkedFolderLeadingOutside_IsRefused()
    {
        Directory.CreateSymbolicLink(Path.Combine(_images, "shared"), _outside);

        var ex = await Assert.ThrowsAsync<VisionException>(() => _store.ResolveAsync("shared/passwords.jpg", Ct));
        Assert.Contains("link to a file outside", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LinkThatStaysInside_IsAccepted()
    {
        File.CreateSymbolicLink(Path.Combine(_images, "latest.jpg"), "reachy/shot.jpg");

        Assert.Equal(Path.Combine(_store.Root, "reachy", "shot.jpg"), await _store.ResolveAsync("latest.jpg", Ct));
    }

    [Fact]
    public async Task ImagesFolderReachedThroughALink_StillWorks()
    {
        var link = Path.Combine(_base, "images-link");
        Directory.CreateSymbolicLink(link, _images);
        using var store = new ImageStore(new ImageStoreOptions { ImagesDirectory = link });

        Assert.Equal(Path.Combine(_images, "reachy", "shot.jpg"), await store.ResolveAsync(Path.Combine(link, "reachy", "shot.jpg"), Ct));
        Assert.Equal(Path.Combine(_images, "reachy", "shot.jpg"), await store.ResolveAsync("reachy/shot.jpg", Ct));
    }

    [Fact]
    public async Task TooLargeFile_IsRefused()
    {
        using var store = new ImageStore(new ImageStoreOptions { ImagesDirectory = _images, MaxFileBytes = 2 });

        var ex = await Assert.ThrowsAsync<VisionException>(() => store.ResolveAsync("reachy/shot.jpg", Ct));
        Assert.Contains("limit", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Captures_HaveUniqueNames_UnderConcurrentSaves()
    {
        var paths = new ConcurrentBag<string>();

        Parallel.For(0, 200, i => paths.Add(_store.SaveCapture([0xFF, 0xD8, (byte)i])));

        Assert.Equal(200, paths.Distinct().Count());
        Assert.All(paths, p => Assert.StartsWith(Path.Combine(_store.Root, "reachy", "reachy_"), p, StringComparison.Ordinal));
        Assert.Equal(201, Directory.GetFiles(Path.Combine(_images, "reachy")).Length);
        Assert.Equal("reachy/" + Path.GetFileName(paths.First()), _store.ToArgument(paths.First()));
    }

    [Fact]
    public async Task Urls_WhenEnabled_AreDownloadedOnce_AndCached()
    {
        await using var server = await ImageServer.StartAsync();
        using var http = new HttpClient();
        using var store = new ImageStore(new ImageStoreOptions { ImagesDirectory = _images, AllowUrls = true }, http);

        var first = await store.ResolveAsync(server.Url("/cat.png"), Ct);
        var second = await store.ResolveAsync(server.Url("/cat.png"), Ct);

        Assert.Equal(first, second);
        Assert.StartsWith(Path.Combine(store.Root, "upload") + "/", first, StringComparison.Ordinal);
        Assert.EndsWith(".png", first, StringComparison.Ordinal);
        Assert.Equal(File.ReadAllBytes(Path.Combine(VisionFixture.PicturesDirectory, "chelsea.png")), File.ReadAllBytes(first));
        Assert.Equal(1, server.Requests);
    }

    [Theory]
    [InlineData("/big.png", "download limit")]
    [InlineData("/big-chunked.png", "download limit")]
    [InlineData("/page.html", "is not an image")]
    [InlineData("/missing.png", "HTTP 404")]
    public async Task Urls_WhenEnabled_AreStillChecked(string path, string reason)
    {
        await using var server = await ImageServer.StartAsync();
        using var http = new HttpClient();
        using var store = new ImageStore(new ImageStoreOptions { ImagesDirectory = _images, AllowUrls = true, MaxDownloadBytes = 64 * 1024 }, http);

        var ex = await Assert.ThrowsAsync<VisionException>(() => store.ResolveAsync(server.Url(path), Ct));

        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(Path.Combine(store.Root, "upload")));
    }

    public void Dispose()
    {
        _store.Dispose();
        Directory.Delete(_base, recursive: true);
    }

    /// <summary>A small web server with an image, a too-large image (with and without Content-Length), an HTML page and a 404.</summary>
    internal sealed class ImageServer : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private int _port;
        private int _requests;

        private ImageServer(WebApplication app) => _app = app;

        public int Requests => _requests;

        public string Url(string path) => $"http://127.0.0.1:{_port}{path}";

        public static async Task<ImageServer> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls(LoopbackPort.Url);
            builder.Logging.ClearProviders();
            var app = builder.Build();
            var server = new ImageServer(app);
            app.Use((context, next) =>
            {
                Interlocked.Increment(ref server._requests);
                return next(context);
            });
            app.MapGet("/cat.png", () => Results.File(Path.Combine(VisionFixture.PicturesDirectory, "chelsea.png"), "image/png"));
            app.MapGet("/big.png", () => Results.Bytes(new byte[200_000], "image/png"));
            app.MapGet("/big-chunked.png", async (HttpContext context) =>
            {
                context.Response.ContentType = "image/png";
                for (var i = 0; i < 20; i++)
                {
                    await context.Response.Body.WriteAsync(new byte[10_000]);
                    await context.Response.Body.FlushAsync();
                }
            });
            app.MapGet("/page.html", () => Results.Content("<html></html>", "text/html"));
            await app.StartAsync(TestContext.Current.CancellationToken);
            server._port = LoopbackPort.Of(app);
            return server;
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync(CancellationToken.None);
            await _app.DisposeAsync();
        }
    }
}
