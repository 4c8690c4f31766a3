using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace RosaOS.Hosting;

/// <summary>
/// Who may call a rosaOS service bound beyond loopback. Loopback binds need nothing (the default). A service bound to any other
/// address (or with <c>ROSAOS_REQUIRE_TOKEN=1</c>) loads the access token from the data folder (creating it, 256 random bits,
/// owner-readable only, at first start) and <see cref="RequestGuard"/> then requires it from every peer that is not loopback
/// (from every peer with the flag) as <c>Authorization: Bearer &lt;token&gt;</c> or the login cookie set by a one-time login link.
/// All services sharing a data folder share the token, so one drivers.json header reaches them all.
/// </summary>
public sealed class AccessPolicy
{
    /// <summary>The token's file name in the data folder.</summary>
    public const string TokenFileName = "access-token";

    /// <summary>Set to 1/true to require the token from loopback peers too (and on a loopback bind).</summary>
    public const string RequireTokenVariable = "ROSAOS_REQUIRE_TOKEN";

    /// <summary>The HttpOnly cookie the login link sets for browsers (which cannot add headers to page loads and WebSockets).</summary>
    public const string CookieName = "rosa_token";

    /// <summary>The login link's path: <c>GET /_rosa/login?code=…</c> sets the cookie and redirects to <c>/</c>; each code works once.</summary>
    public const string LoginPath = "/_rosa/login";

    /// <summary>How long a login code stays valid.</summary>
    public static readonly TimeSpan LoginCodeLifetime = TimeSpan.FromMinutes(15);

    private readonly byte[]? _tokenHash;
    private readonly TimeProvider _time;

    private AccessPolicy(string bindAddress, string dataDirectory, string? token, bool requireFromLoopback, TimeProvider time)
    {
        BindAddress = bindAddress;
        DataDirectory = dataDirectory;
        _tokenHash = token is null ? null : SHA256.HashData(Encoding.UTF8.GetBytes(token));
        RequireFromLoopback = requireFromLoopback;
        _time = time;
    }

    /// <summary>The address the service is bound to.</summary>
    public string BindAddress { get; }

    /// <summary>The data folder holding the token and the login codes.</summary>
    public string DataDirectory { get; }

    /// <summary>True when a token is required from some peers.</summary>
    public bool Enabled => _tokenHash is not null;

    /// <summary>True when loopback peers need the token too (<c>ROSAOS_REQUIRE_TOKEN=1</c>).</summary>
    public bool RequireFromLoopback { get; }

    /// <summary>The token file's path.</summary>
    public string TokenPath => TokenFile(DataDirectory);

    /// <summary>The policy for a service bound to <paramref name="bindAddress"/>; creates the token when one is needed.</summary>
    public static AccessPolicy Create(string bindAddress, string dataDirectory, bool? requireFromLoopback = null, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(bindAddress);
        ArgumentException.ThrowIfNullOrWhiteSpace(dataDirectory);
        var require = requireFromLoopback ?? RosaEnvironment.Get(RequireTokenVariable) is "1" or "true" or "TRUE" or "True" or "yes";
        var token = require || !IsLoopbackBind(bindAddress) ? LoadOrCreateToken(dataDirectory) : null;
        return new AccessPolicy(bindAddress, dataDirectory, token, require, time ?? TimeProvider.System);
    }

    /// <summary>True for 127.0.0.0/8, ::1 and <c>localhost</c>; 0.0.0.0, :: and every other name or address are beyond loopback.</summary>
    public static bool IsLoopbackBind(string bindAddress)
    {
        ArgumentNullException.ThrowIfNull(bindAddress);
        var host = bindAddress.Trim().Trim('[', ']');
        return string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));
    }

    /// <summary>The token file in <paramref name="dataDirectory"/>.</summary>
    public static string TokenFile(string dataDirectory) => Path.Combine(Path.GetFullPath(dataDirectory), TokenFileName);

    /// <summary>Reads the token of <paramref name="dataDirectory"/>, creating it (owner read/write only) when missing.
    /// Concurrent first starts agree on one token: the file appears atomically and the loser reads the winner's.</summary>
    public static string LoadOrCreateToken(string dataDirectory)
    {
        var path = TokenFile(dataDirectory);
        if (!File.Exists(path))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
            WritePrivate(temp, Base64Url(RandomNumberGenerator.GetBytes(32)) + "\n");
            try
            {
                File.Move(temp, path, overwrite: false);
            }
            catch (IOException) when (File.Exists(path))
            {
                File.Delete(temp);
            }
        }
        var token = File.ReadAllText(path).Trim();
        if (token.Length < 16)
        {
            throw new InvalidOperationException($"the access token in {path} is empty or shorter than 16 characters: delete the file to have a new one generated");
        }
        return token;
    }

    /// <summary>Creates a one-time login code for <paramref name="dataDirectory"/>'s services (<c>rosa up</c> prints it as a link).
    /// Only the code's SHA-256 is stored, in data/login-codes/, owner-readable only.</summary>
    public static string CreateLoginCode(string dataDirectory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dataDirectory);
        var code = Base64Url(RandomNumberGenerator.GetBytes(24));
        var folder = Path.Combine(Path.GetFullPath(dataDirectory), "login-codes");
        Directory.CreateDirectory(folder);
        WritePrivate(Path.Combine(folder, HashHex(code)), "");
        return code;
    }

    /// <summary>The login link for a service at <paramref name="baseUrl"/>.</summary>
    public static string LoginLink(string baseUrl, string code)
        => baseUrl.TrimEnd('/') + LoginPath + "?code=" + Uri.EscapeDataString(code);

    /// <summary>True when <paramref name="remote"/> must present the token.</summary>
    public bool Requires(IPAddress? remote)
    {
        if (!Enabled)
        {
            return false;
        }
        if (RequireFromLoopback || remote is null)
        {
            return true;
        }
        return !IPAddress.IsLoopback(remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote);
    }

    /// <summary>True when the request carries the token (bearer header or login cookie); compared in constant time.</summary>
    public bool Accepts(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (_tokenHash is null)
        {
            return true;
        }
        var authorization = request.Headers.Authorization.ToString();
        var presented = authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
            ? authorization["Bearer ".Length..].Trim()
            : request.Cookies[CookieName];
        if (string.IsNullOrEmpty(presented))
        {
            return false;
        }
        // Hashing first makes the comparison constant-time whatever the presented length.
        return CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), _tokenHash);
    }

    /// <summary>Uses a login code: true exactly once for a code made by <see cref="CreateLoginCode"/> within its lifetime.</summary>
    public bool RedeemLoginCode(string? code)
    {
        if (_tokenHash is null || string.IsNullOrWhiteSpace(code) || code.Length > 200)
        {
            return false;
        }
        var path = Path.Combine(DataDirectory, "login-codes", HashHex(code));
        var claimed = path + ".used-" + Guid.NewGuid().ToString("N");
        try
        {
            // The rename succeeds for one request only, however many race with the same code.
            File.Move(path, claimed, overwrite: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
        var age = _time.GetUtcNow() - new DateTimeOffset(File.GetLastWriteTimeUtc(claimed), TimeSpan.Zero);
        File.Delete(claimed);
        return age <= LoginCodeLifetime;
    }

    /// <summary>The token itself, for the login cookie.</summary>
    internal string ReadToken() => LoadOrCreateToken(DataDirectory);

    private static void WritePrivate(string path, string content)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        using var stream = new FileStream(path, options);
        stream.Write(Encoding.UTF8.GetBytes(content));
    }

    private static string HashHex(string code) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(code)));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
