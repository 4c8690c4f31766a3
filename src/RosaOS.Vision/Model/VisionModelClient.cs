using System.ClientModel;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using OpenAI;
using OpenCvSharp;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;

namespace RosaOS.Vision.Model;

/// <summary>One face as the vision model judged it.</summary>
public sealed record FaceAnalysis
{
    [JsonPropertyName("face")]
    public int Face { get; init; }

    [JsonPropertyName("age_range")]
    public string? AgeRange { get; init; }

    [JsonPropertyName("gender_presentation")]
    public string? GenderPresentation { get; init; }

    [JsonPropertyName("emotion")]
    public string? Emotion { get; init; }
}

/// <summary>
/// Asks an OpenAI-compatible vision model about an image: the image goes as a JPEG data URI in a chat-completions
/// user message (scaled down to <see cref="VisionModelOptions.MaxImageSide"/>), beside the question.
/// </summary>
public sealed partial class VisionModelClient : IDisposable
{
    /// <summary>The structured prompt of analyze_face; {0} is the number of faces found locally, {1} their boxes.</summary>
    public const string AnalyzeFacePrompt =
        "This image shows {0} face(s), largest first, at these pixel boxes (x, y, width, height): {1}. " +
        "For each face, estimate the age range, the gender presentation and the emotion shown. " +
        "Answer with JSON only, no prose: {{\"faces\":[{{\"face\":1,\"age_range\":\"30-40\",\"gender_presentation\":\"feminine\",\"emotion\":\"happy\"}}]}}";

    private const int JpegQuality = 85;
    private static readonly System.Text.CompositeFormat s_analyzeFaceFormat = System.Text.CompositeFormat.Parse(AnalyzeFacePrompt);

    private readonly VisionModelOptions _options;
    private readonly IChatClient? _chat;
    private readonly ILogger _logger;

    public VisionModelClient(VisionModelOptions options, ILogger<VisionModelClient> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _logger = logger;
        if (options.IsConfigured)
        {
            var client = new OpenAIClient(new ApiKeyCredential(options.ApiKey ?? "none"),
                new OpenAIClientOptions
                {
                    Endpoint = options.Endpoint,
                    NetworkTimeout = options.Timeout,
                    RetryPolicy = new System.ClientModel.Primitives.ClientRetryPolicy(options.MaxRetries),
                });
            _chat = client.GetChatClient(options.Model).AsIChatClient();
        }
    }

    /// <summary>True when a vision model is configured.</summary>
    public bool IsConfigured => _chat is not null;

    /// <summary>The model's answer to <paramref name="question"/> about the image file at <paramref name="imagePath"/>.</summary>
    /// <exception cref="VisionException">No model is configured, the image is unreadable, or the model failed; the message says what to do.</exception>
    public async Task<string> AskAsync(string imagePath, string question, CancellationToken cancellationToken)
    {
        var chat = _chat ?? throw new VisionException("No vision model is configured, so images cannot be described. " + VisionModelOptions.HowToConfigure);
        if (string.IsNullOrWhiteSpace(question))
        {
            question = "What is in the image?";
        }
        var jpeg = PrepareJpeg(imagePath, _options.MaxImageSide);
        var message = new ChatMessage(ChatRole.User, [new TextContent(question), new DataContent(jpeg, "image/jpeg")]);
        var chatOptions = new ChatOptions { MaxOutputTokens = 1024, Temperature = 0.2f };
        LogAsking(_options.Model!, _options.Endpoint!, jpeg.Length);
        try
        {
            var response = await chat.GetResponseAsync([message], chatOptions, cancellationToken);
            var text = response.Text?.Trim();
            return string.IsNullOrEmpty(text)
                ? throw new VisionException($"The vision model {_options.Model} returned an empty answer; try again or rephrase the question.")
                : text;
        }
        catch (ClientResultException ex)
        {
            LogFailed(_options.Endpoint!, ex.Status, ex);
            throw new VisionException(ex.Status switch
            {
                401 or 403 => $"The vision model service at {_options.Endpoint} refused the API key (HTTP {ex.Status}). {VisionModelOptions.HowToConfigure}",
                404 => $"The vision model '{_options.Model}' does not exist at {_options.Endpoint} (HTTP 404); providers retire models, set ROSAOS_VISION_MODEL to a current one.",
                429 => $"The vision model service at {_options.Endpoint} is rate-limiting requests (HTTP 429); wait a little and try again.",
                0 => $"The vision model service at {_options.Endpoint} could not be reached: {ex.Message}",
                _ => $"The vision model service at {_options.Endpoint} failed (HTTP {ex.Status}): {FirstLine(ex.Message)}",
            }, ex);
        }
        catch (HttpRequestException ex)
        {
            LogFailed(_options.Endpoint!, 0, ex);
            throw new VisionException($"The vision model service at {_options.Endpoint} could not be reached: {ex.Message}", ex);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new VisionException($"The vision model at {_options.Endpoint} did not answer within {_options.Timeout.TotalSeconds:0} s.", ex);
        }
    }

    /// <summary>
    /// Asks the model for each face's age range, gender presentation and emotion with <see cref="AnalyzeFacePrompt"/>;
    /// returns the parsed faces, or null with the raw answer when the model did not answer in JSON.
    /// </summary>
    public async Task<(IReadOnlyList<FaceAnalysis>? Faces, string Raw)> AnalyzeFacesAsync(string imagePath, IReadOnlyList<Rect> faces,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(faces);
        var boxes = string.Join("; ", faces.Select((f, i) => $"face {i + 1}: ({f.X}, {f.Y}, {f.Width}, {f.Height})"));
        var prompt = string.Format(System.Globalization.CultureInfo.InvariantCulture, s_analyzeFaceFormat, faces.Count, boxes);
        var raw = await AskAsync(imagePath, prompt, cancellationToken);
        return (ParseFaces(raw), raw);
    }

    /// <inheritdoc />
    public void Dispose() => _chat?.Dispose();

    /// <summary>The faces of a JSON answer (tolerating prose or code fences around the object), or null.</summary>
    internal static IReadOnlyList<FaceAnalysis>? ParseFaces(string answer)
    {
        var start = answer.IndexOf('{', StringComparison.Ordinal);
        var end = answer.LastIndexOf('}');
        if (start < 0 || end <= start)
        {
            return null;
        }
        try
        {
            using var document = JsonDocument.Parse(answer.AsMemory(start, end - start + 1));
            if (!document.RootElement.TryGetProperty("faces", out var faces) || faces.ValueKind != JsonValueKind.Array)
            {
                return null;
            }
            return faces.Deserialize<List<FaceAnalysis>>();
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The image as JPEG, scaled so its longer side is at most <paramref name="maxSide"/>.</summary>
    internal static byte[] PrepareJpeg(string imagePath, int maxSide)
    {
        using var image = BoundedImage.Read(imagePath);
        if (image.Empty())
        {
            throw new VisionException($"{Path.GetFileName(imagePath)} is not a readable image.");
        }
        var scale = Math.Min(1.0, (double)maxSide / Math.Max(image.Width, image.Height));
        using var scaled = new Mat();
        if (scale < 1)
        {
            Cv2.Resize(image, scaled, new Size(Math.Max(1, (int)(image.Width * scale)), Math.Max(1, (int)(image.Height * scale))), interpolation: InterpolationFlags.Area);
        }
        else
        {
            image.CopyTo(scaled);
        }
        Cv2.ImEncode(".jpg", scaled, out var jpeg, new ImageEncodingParam(ImwriteFlags.JpegQuality, JpegQuality));
        return jpeg;
    }

    private static string FirstLine(string text) => text.Split('\n', 2)[0].Trim();

    [LoggerMessage(Level = LogLevel.Debug, Message = "Asking vision model {Model} at {Endpoint} about a {Bytes}-byte JPEG.")]
    private partial void LogAsking(string model, Uri endpoint, int bytes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Vision model at {Endpoint} failed with HTTP {Status}.")]
    private partial void LogFailed(Uri endpoint, int status, Exception exception);
}
