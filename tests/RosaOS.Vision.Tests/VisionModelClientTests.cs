using Microsoft.Extensions.Logging.Abstractions;
using OpenCvSharp;
using RosaOS.Testing;
using RosaOS.Vision.Model;

namespace RosaOS.Vision.Tests;

public sealed class VisionModelClientTests(VisionFixture vision) : IAsyncLifetime
{
    private readonly string _dir = TestPaths.NewTempDirectory("vision-model");
    private ScriptedVisionServer _server = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _server = await ScriptedVisionServer.StartAsync();

    private VisionModelClient Client(string model = "scripted/vision-1", int maxRetries = 0)
        => new(new VisionModelOptions { Endpoint = _server.BaseUrl, ApiKey = "test-key", Model = model, MaxRetries = maxRetries },
            NullLogger<VisionModelClient>.Instance);

    private static Mat DecodeDataUri(string uri, string expectedPrefix = "data:image/jpeg;base64,")
    {
        Assert.StartsWith(expectedPrefix, uri, StringComparison.Ordinal);
        var image = Cv2.ImDecode(Convert.FromBase64String(uri[expectedPrefix.Length..]), ImreadModes.Color);
        Assert.False(image.Empty(), "the data URI holds a decodable JPEG");
        return image;
    }

    [Fact]
    public async Task Describe_SendsTheQuestionAndTheFrameAsAJpegDataUri_AndReturnsTheAnswer()
    {
        var frame = vision.Snapshot(vision.AtFace, _dir, "frame.jpg");
        _server.ReplyWith("  A person in a spacesuit smiling in front of a flag.  ");
        using var client = Client();

        var answer = await client.AskAsync(frame, "Who is in front of the robot?", Ct);

        Assert.Equal("A person in a spacesuit smiling in front of a flag.", answer);
        var request = Assert.Single(_server.Received);
        Assert.Equal("/v1/chat/completions", request.Path);
        Assert.Equal("Bearer test-key", request.Authorization);
        Assert.Equal("scripted/vision-1", request.Model);
        Assert.Equal(["Who is in front of the robot?"], request.Texts);
        using var sent = DecodeDataUri(Assert.Single(request.ImageUrls));
        Assert.Equal((1280, 720), (sent.Width, sent.Height));
        // It is the frame: the person is in it.
        Assert.Single(vision.Detector.DetectFaces(sent));
    }

    [Fact]
    public async Task LargeImages_AreScaledDown_PngsAreSentAsJpeg()
    {
        using (var photo = Cv2.ImRead(Path.Combine(VisionFixture.PicturesDirectory, "astronaut.png")))
        using (var big = new Mat())
        {
            Cv2.Resize(photo, big, new Size(2560, 1920));
            Cv2.ImWrite(Path.Combine(_dir, "big.png"), big);
        }
        _server.ReplyWith("An astronaut.");
        using var client = Client();

        await client.AskAsync(Path.Combine(_dir, "big.png"), "What is in the image?", Ct);

        using var sent = DecodeDataUri(Assert.Single(Assert.Single(_server.Received).ImageUrls));
        Assert.Equal((1280, 960), (sent.Width, sent.Height));
    }

    [Fact]
    public async Task BlankQuestion_UsesTheOriginalsDefault()
    {
        var frame = vision.Snapshot(vision.AtFace, _dir, "frame.jpg");
        _server.ReplyWith("A room.");
        using var client = Client();

        await client.AskAsync(frame, "   ", Ct);

        Assert.Equal(["What is in the image?"], Assert.Single(_server.Received).Texts);
    }

    [Fact]
    public async Task AnalyzeFaces_SendsTheStructuredPrompt_AndParsesTheJsonAnswer()
    {
        var frame = vision.Snapshot(vision.AtFace, _dir, "frame.jpg");
        using var image = Cv2.ImRead(frame);
        var faces = vision.Detector.DetectFaces(image);
        _server.ReplyWith("```json\n{\"faces\":[{\"face\":1,\"age_range\":\"35-45\",\"gender_presentation\":\"feminine\",\"emotion\":\"happy\"}]}\n```");
        using var client = Client();

        var (parsed, _) = await client.AnalyzeFacesAsync(frame, faces, Ct);

        var face = Assert.Single(parsed!);
        Assert.Equal(new FaceAnalysis { Face = 1, AgeRange = "35-45", GenderPresentation = "feminine", Emotion = "happy" }, face);
        var prompt = Assert.Single(Assert.Single(_server.Received).Texts);
        Assert.Contains("1 face(s)", prompt, StringComparison.Ordinal);
        Assert.Contains($"({faces[0].X}, {faces[0].Y}, {faces[0].Width}, {faces[0].Height})", prompt, StringComparison.Ordinal);
        Assert.Contains("age_range", prompt, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnalyzeFaces_ProseAnswer_IsKeptRaw()
    {
        var frame = vision.Snapshot(vision.AtFace, _dir, "frame.jpg");
        _server.ReplyWith("She looks about forty and cheerful.");
        using var client = Client();

        var (parsed, raw) = await client.AnalyzeFacesAsync(frame, [new Rect(1, 2, 3, 4)], Ct);

        Assert.Null(parsed);
        Assert.Equal("She looks about forty and cheerful.", raw);
    }

    [Fact]
    public async Task NoModelConfigured_SaysHowToConfigureOne()
    {
        using var client = new VisionModelClient(VisionModelOptions.FromEnvironment(_ => null), NullLogger<VisionModelClient>.Instance);

        var ex = await Assert.ThrowsAsync<VisionException>(() => client.AskAsync(vision.Snapshot(vision.AtFace, _dir, "f.jpg"), "What?", Ct));

        Assert.False(client.IsConfigured);
        Assert.Contains("No vision model is configured", ex.Message, StringComparison.Ordinal);
        Assert.Contains("GROQ_API_KEY", ex.Message, StringComparison.Ordinal);
        Assert.Contains("ROSAOS_VISION_BASE_URL", ex.Message, StringComparison.Ordinal);
        Assert.Empty(_server.Received);
    }

    [Theory]
    [InlineData(404, "model_not_found", "ROSAOS_VISION_MODEL")]
    [InlineData(401, "invalid_api_key", "refused the API key")]
    [InlineData(400, "model_decommissioned", "HTTP 400")]
    public async Task ProviderErrors_BecomeReasonsTheModelCanActOn(int status, string code, string expected)
    {
        _server.FailWith(status, code, "The model `scripted/vision-1` has a problem: " + code);
        using var client = Client();

        var ex = await Assert.ThrowsAsync<VisionException>(() => client.AskAsync(vision.Snapshot(vision.AtFace, _dir, "f.jpg"), "What?", Ct));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnreachableServer_IsSaidPlainly()
    {
        var options = new VisionModelOptions { Endpoint = new Uri($"http://127.0.0.1:{FreePort.Next()}/v1"), Model = "m", MaxRetries = 0 };
        using var client = new VisionModelClient(options, NullLogger<VisionModelClient>.Instance);

        var ex = await Assert.ThrowsAsync<VisionException>(() => client.AskAsync(vision.Snapshot(vision.AtFace, _dir, "f.jpg"), "What?", Ct));

        Assert.Contains("could not be reached", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NotAnImage_IsRefusedBeforeAnythingIsSent()
    {
        var path = Path.Combine(_dir, "fake.jpg");
        await File.WriteAllTextAsync(path, "hello", Ct);
        using var client = Client();

        var ex = await Assert.ThrowsAsync<VisionException>(() => client.AskAsync(path, "What?", Ct));

        Assert.Contains("not a readable image", ex.Message, StringComparison.Ordinal);
        Assert.Empty(_server.Received);
    }

    [Fact]
    public void Options_FromEnvironment()
    {
        var none = VisionModelOptions.FromEnvironment(_ => null);
        var groq = VisionModelOptions.FromEnvironment(n => n == "GROQ_API_KEY" ? "gsk" : null);
        var groqProxy = VisionModelOptions.FromEnvironment(n => n switch { "GROQ_API_KEY" => "gsk", "GROQ_BASE_URL" => "http://127.0.0.1:9/openai/v1", "ROSAOS_VISION_MODEL" => "m2", _ => null });
        var local = VisionModelOptions.FromEnvironment(n => n switch { "ROSAOS_VISION_BASE_URL" => "http://localhost:6000/v1", "ROSAOS_VISION_MODEL" => "qwen-vl", "GROQ_API_KEY" => "gsk", _ => null });
        var localNoModel = VisionModelOptions.FromEnvironment(n => n == "ROSAOS_VISION_BASE_URL" ? "http://localhost:6000/v1" : null);

        Assert.False(none.IsConfigured);
        Assert.Equal((new Uri(VisionModelOptions.GroqBaseUrl), "gsk", VisionModelOptions.DefaultGroqModel), (groq.Endpoint, groq.ApiKey, groq.Model));
        Assert.Equal((new Uri("http://127.0.0.1:9/openai/v1"), "m2"), (groqProxy.Endpoint, groqProxy.Model));
        Assert.Equal((new Uri("http://localhost:6000/v1"), "qwen-vl", null), (local.Endpoint, local.Model, local.ApiKey));
        Assert.False(localNoModel.IsConfigured);
        Assert.Throws<InvalidOperationException>(() => VisionModelOptions.FromEnvironment(n => n == "ROSAOS_VISION_BASE_URL" ? "file:///etc" : null));
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }
}
