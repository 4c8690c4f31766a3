using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;

namespace RosaOS.Vision.Images;

/// <summary>
/// The images folder and the one gate through which tools reach images: an argument is a path relative to the
/// folder, a file under it, or (only when enabled) an http(s) URL downloaded once with a size limit and cached.
/// Everything else is refused with a reason: "../" escapes, absolute paths outside the folder, links that lead
/// outside it, other URI schemes. No tool reads an arbitrary file.
/// </summary>
public sealed class ImageStore : IDisposable
{
    private static long s_sequence;
    private readonly ImageStoreOptions _options;
    private readonly HttpClient? _http;
    private readonly string _root;
    private readonly SemaphoreSlim _downloads = new(1, 1);

    /// <summary>A store over <see cref="ImageStoreOptions.ImagesDirectory"/> (created when missing); <paramref name="http"/> is needed only for URLs.</summary>
    public ImageStore(ImageStoreOptions options, HttpClient? http = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _http = http;
        Directory.CreateDirectory(options.ImagesDirectory);
        // Compare against the folder's real location, so a data folder reached through a link still works.
        _root = RealPath(Path.GetFullPath(options.ImagesDirectory));
    }

    /// <inheritdoc />
    public void Dispose() => _downloads.Dispose();

    /// <summary>The images folder's real path.</summary>
    public string Root => _root;

    /// <summary>Where the people registry lives.</summary>
    public string PeopleDirectory => Path.Combine(_root, "people");

    /// <summary>Where camera captures are saved.</summary>
    public string CapturesDirectory => Path.Combine(_root, "reachy");

    /// <summary>Saves a camera frame under <c>reachy/</c> with a name unique across processes and returns its full path.</summary>
    public string SaveCapture(byte[] jpeg)
    {
        ArgumentNullException.ThrowIfNull(jpeg);
        Directory.CreateDirectory(CapturesDirectory);
        var stamp = DateTime.UtcNow.ToString("yyyyMMdd-HHmmss-fff", CultureInfo.InvariantCulture);
        while (true)
        {
            var sequence = Interlocked.Increment(ref s_sequence);
            var path = Path.Combine(CapturesDirectory, $"reachy_{stamp}_{Environment.ProcessId}_{sequence}.jpg");
            try
            {
                // CreateNew fails instead of overwriting when another process picked the same name.
                using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
                file.Write(jpeg);
                return path;
            }
            catch (IOException) when (File.Exists(path))
            {
            }
        }
    }

    /// <summary>The name to give back to a model for a file under the folder (relative, '/'-separated).</summary>
    public string ToArgument(string fullPath) => Path.GetRelativePath(_root, fullPath).Replace(Path.DirectorySeparatorChar, '/');

    /// <summary>Resolves an image argument to the real path of a readable file under the images folder.</summary>
    /// <exception cref="VisionException">The argument is refused or names no image; the message says why.</exception>
    public async Task<string> ResolveAsync(string? image, CancellationToken cancellationToken)
    {
        var argument = image?.Trim();
        if (string.IsNullOrEmpty(argument))
        {
            throw new VisionException("No image given: pass a file name under the images folder, such as the path take_picture returned.");
        }
        if (argument.Contains('\0', StringComparison.Ordinal) || argument.Length > 2048)
        {
            throw new VisionException("Refused image argument: it is not a valid file name.");
        }
        if (argument.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || argument.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            return await DownloadAsync(argument, cancellationToken);
        }
        if (HasScheme(argument))
        {
            throw new VisionException($"Refused image argument '{Shorten(argument)}': only files under the images folder{(_options.AllowUrls ? " and http(s) URLs" : "")} are accepted, not other URI schemes.");
        }
        var candidate = Path.IsPathRooted(argument) ? Path.GetFullPath(argument) : Path.GetFullPath(Path.Combine(_root, argument));
        if (!IsUnder(candidate, _root) && !IsUnder(candidate, Path.GetFullPath(_options.ImagesDirectory)))
        {
            throw new VisionException(Path.IsPathRooted(argument)
                ? $"Refused image argument '{Shorten(argument)}': it is outside the images folder. Tools read only images under that folder; pass a name such as the path take_picture returned."
                : $"Refused image argument '{Shorten(argument)}': it leads outside the images folder ('..' escapes are not allowed).");
        }
        string real;
        try
        {
            real = RealPath(candidate);
        }
        catch (IOException ex)
        {
            throw new VisionException($"Refused image argument '{Shorten(argument)}': {ex.Message}", ex);
        }
        if (!IsUnder(real, _root))
        {
            throw new VisionException($"Refused image argument '{Shorten(argument)}': it is a link to a file outside the images folder.");
        }
        if (Directory.Exists(real))
        {
            throw new VisionException($"'{Shorten(argument)}' is a folder, not an image.");
        }
        if (!File.Exists(real))
        {
            throw new VisionException($"No image '{Shorten(argument)}' in the images folder: take a picture first, or pass a name take_picture returned.");
        }
        var length = new FileInfo(real).Length;
        if (length > _options.MaxFileBytes)
        {
            throw new VisionException($"Image '{Shorten(argument)}' is {length / (1024 * 1024)} MiB; the limit is {_options.MaxFileBytes / (1024 * 1024)} MiB.");
        }
        return real;
    }

    private async Task<string> DownloadAsync(string url, CancellationToken cancellationToken)
    {
        if (!_options.AllowUrls || _http is null)
        {
            throw new VisionException("Refused image argument: image URLs are disabled on this robot. Pass a file under the images folder " +
                "(take_picture saves one), or ask the operator to enable URL images (ROSAOS_VISION_ALLOW_URLS=true).");
        }
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps) || string.IsNullOrEmpty(uri.Host))
        {
            throw new VisionException($"Refused image argument '{Shorten(url)}': not a valid http(s) URL.");
        }
        var uploads = Path.Combine(_root, "upload");
        Directory.CreateDirectory(uploads);
        var key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(uri.AbsoluteUri)))[..24];
        var cached = Directory.EnumerateFiles(uploads, $"url_{key}.*").FirstOrDefault();
        if (cached is not null)
        {
            return cached;
        }
        await _downloads.WaitAsync(cancellationToken);
        try
        {
            cached = Directory.EnumerateFiles(uploads, $"url_{key}.*").FirstOrDefault();
            if (cached is not null)
            {
                return cached;
            }
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.DownloadTimeout);
            using var response = await SendAsync(uri, timeout.Token);
            var extension = ExtensionFor(response.Content.Headers.ContentType)
                ?? throw new VisionException($"{Shorten(url)} is not an image (content type '{response.Content.Headers.ContentType?.MediaType ?? "none"}').");
            if (response.Content.Headers.ContentLength > _options.MaxDownloadBytes)
            {
                throw new VisionException($"{Shorten(url)} is {response.Content.Headers.ContentLength / 1024} KiB; the download limit is {_options.MaxDownloadBytes / 1024} KiB.");
            }
            var temp = Path.Combine(uploads, $".download_{key}_{Guid.NewGuid():N}");
            try
            {
                await using (var source = await response.Content.ReadAsStreamAsync(timeout.Token))
                await using (var target = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
                {
                    var buffer = new byte[81920];
                    long total = 0;
                    int read;
                    while ((read = await source.ReadAsync(buffer, timeout.Token)) > 0)
                    {
                        total += read;
                        if (total > _options.MaxDownloadBytes)
                        {
                            throw new VisionException($"{Shorten(url)} is larger than the download limit of {_options.MaxDownloadBytes / 1024} KiB.");
                        }
                        await target.WriteAsync(buffer.AsMemory(0, read), timeout.Token);
                    }
                }
                var path = Path.Combine(uploads, $"url_{key}{extension}");
                File.Move(temp, path, overwrite: true);
                return path;
            }
            finally
            {
                File.Delete(temp);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new VisionException($"Downloading {Shorten(url)} took longer than {_options.DownloadTimeout.TotalSeconds:0} s.");
        }
        finally
        {
            _downloads.Release();
        }
    }

    private async Task<HttpResponseMessage> SendAsync(Uri uri, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await _http!.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            throw new VisionException($"Could not download {Shorten(uri.AbsoluteUri)}: {ex.Message}", ex);
        }
        if (!response.IsSuccessStatusCode)
        {
            var status = (int)response.StatusCode;
            response.Dispose();
            throw new VisionException($"Could not download {Shorten(uri.AbsoluteUri)}: HTTP {status}.");
        }
        return response;
    }

    private static string? ExtensionFor(MediaTypeHeaderValue? type) => type?.MediaType?.ToLowerInvariant() switch
    {
        "image/jpeg" or "image/jpg" => ".jpg",
        "image/png" => ".png",
        "image/webp" => ".webp",
        "image/bmp" => ".bmp",
        "image/gif" => ".gif",
        _ => null,
    };

    private static bool HasScheme(string argument)
    {
        // "name:rest" with a letter-led scheme of two or more characters (one letter would be a Windows drive).
        var colon = argument.IndexOf(':', StringComparison.Ordinal);
        return colon >= 2 && char.IsAsciiLetter(argument[0]) && argument[..colon].All(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '-' or '.');
    }

    private static bool IsUnder(string path, string root)
        => path.StartsWith(root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    private static string Shorten(string text) => text.Length <= 120 ? text : text[..117] + "...";

    /// <summary>The path with every symbolic link along it resolved (like realpath(3)); missing tails are kept as they are.</summary>
    internal static string RealPath(string fullPath, int depth = 0)
    {
        if (depth > 40)
        {
            throw new IOException("too many levels of symbolic links.");
        }
        var parts = fullPath.Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
        var current = Path.GetPathRoot(fullPath) ?? "/";
        for (var i = 0; i < parts.Length; i++)
        {
            var next = Path.Combine(current, parts[i]);
            var info = new FileInfo(next);
            if (info.LinkTarget is { } target)
            {
                var resolved = Path.GetFullPath(target, current);
                current = RealPath(resolved, depth + 1);
            }
            else if (!info.Exists && !Directory.Exists(next))
            {
                return Path.Combine([current, .. parts[i..]]);
            }
            else
            {
                current = next;
            }
        }
        return current;
    }
}
