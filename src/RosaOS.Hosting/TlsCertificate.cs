using System.Security.Cryptography.X509Certificates;

namespace RosaOS.Hosting;

/// <summary>
/// TLS for services bound beyond loopback: <c>ROSAOS_TLS_CERT</c> names a certificate (PKCS#12 <c>.pfx</c>/<c>.p12</c>, with
/// <c>ROSAOS_TLS_CERT_PASSWORD</c> if it has one, or PEM, with its key in the same file or in <c>ROSAOS_TLS_KEY</c>). A service
/// bound to an address beyond loopback then serves https there; loopback addresses stay plain http, so the stack's own
/// services keep calling each other as before. Unset: plain http everywhere (use a TLS reverse proxy or a tunnel instead).
/// </summary>
public static class TlsCertificate
{
    /// <summary>The certificate file (PKCS#12 or PEM).</summary>
    public const string CertificateVariable = "ROSAOS_TLS_CERT";

    /// <summary>The PEM private key, when the certificate file does not hold it.</summary>
    public const string KeyVariable = "ROSAOS_TLS_KEY";

    /// <summary>The PKCS#12 password, or the encrypted PEM key's.</summary>
    public const string PasswordVariable = "ROSAOS_TLS_CERT_PASSWORD";

    /// <summary>True when a certificate is configured.</summary>
    public static bool Configured => RosaEnvironment.Get(CertificateVariable) is not null;

    /// <summary>"https" for a bind beyond loopback with a certificate configured, else "http".</summary>
    public static string SchemeFor(string bindAddress)
        => Configured && !AccessPolicy.IsLoopbackBind(bindAddress) ? Uri.UriSchemeHttps : Uri.UriSchemeHttp;

    /// <summary>Loads the configured certificate; throws naming the variable and the file when it cannot be used.</summary>
    public static X509Certificate2 Load()
    {
        var path = RosaEnvironment.Get(CertificateVariable)
            ?? throw new InvalidOperationException($"{CertificateVariable} is not set");
        var key = RosaEnvironment.Get(KeyVariable);
        var password = RosaEnvironment.Get(PasswordVariable);
        if (!File.Exists(path))
        {
            throw new InvalidOperationException($"{CertificateVariable} names {path}, which does not exist: give the path of a .pfx/.p12 or PEM certificate");
        }
        if (key is not null && !File.Exists(key))
        {
            throw new InvalidOperationException($"{KeyVariable} names {key}, which does not exist: give the path of the certificate's PEM private key");
        }
        X509Certificate2 certificate;
        try
        {
            var extension = Path.GetExtension(path).ToLowerInvariant();
            certificate = extension is ".pfx" or ".p12"
                ? X509CertificateLoader.LoadPkcs12FromFile(path, password)
                : password is not null
                    ? X509Certificate2.CreateFromEncryptedPemFile(path, password, key)
                    : X509Certificate2.CreateFromPemFile(path, key);
        }
        catch (System.Security.Cryptography.CryptographicException e)
        {
            throw new InvalidOperationException($"{CertificateVariable}={path}{(key is null ? "" : $" with {KeyVariable}={key}")} cannot be read as a certificate with its private key: {e.Message}", e);
        }
        if (!certificate.HasPrivateKey)
        {
            certificate.Dispose();
            throw new InvalidOperationException($"{CertificateVariable}={path} holds no private key: put the key in the file or name it with {KeyVariable}");
        }
        return certificate;
    }
}
