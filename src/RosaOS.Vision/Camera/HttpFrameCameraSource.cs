namespace RosaOS.Vision.Camera;

/// <summary>
/// A camera whose frames are served over HTTP as JPEG: the simulated robot's <c>GET /sim/camera/frame.jpg</c>,
/// which renders what the head looks at when asked.
/// </summary>
public sealed class HttpFrameCameraSource(HttpClient http, Uri frameUrl) : ICameraSource
{
    /// <summary>Largest frame accepted (a 1280×720 JPEG is about 100 KB).</summary>
    private const int MaxFrameBytes = 16 * 1024 * 1024;

    /// <summary>The frame URL.</summary>
    public Uri FrameUrl => frameUrl;

    /// <inheritdoc />
    public async Task<byte[]> CaptureJpegAsync(CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await http.GetAsync(frameUrl, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            throw new CameraUnavailableException($"The camera at {frameUrl} is not reachable ({ex.Message}); is the robot (or rosa sim) running?", ex);
        }
        catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new CameraUnavailableException($"The camera at {frameUrl} did not answer in time.", ex);
        }
        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                throw new CameraUnavailableException($"The camera at {frameUrl} answered HTTP {(int)response.StatusCode}.");
            }
            if (response.Content.Headers.ContentType?.MediaType is not "image/jpeg")
            {
                throw new CameraUnavailableException($"The camera at {frameUrl} sent '{response.Content.Headers.ContentType?.MediaType}', not a JPEG frame.");
            }
            if (response.Content.Headers.ContentLength > MaxFrameBytes)
            {
                throw new CameraUnavailableException($"The camera at {frameUrl} sent a frame larger than {MaxFrameBytes / (1024 * 1024)} MiB.");
            }
            return await response.Content.ReadAsByteArrayAsync(cancellationToken);
        }
    }
}
