using Microsoft.Extensions.Logging.Abstractions;
using RosaOS.Testing;
using RosaOS.Vision.Faces;
using RosaOS.Vision.Images;
using RosaOS.Vision.Model;
using RosaOS.Vision.Room;

namespace RosaOS.Vision.Tests;

/// <summary>The tools' behaviour end to end inside one process: a simulated head, a real images folder, the scripted vision server.</summary>
public sealed class VisionServiceTests(VisionFixture vision) : IAsyncLifetime
{
    private readonly string _dir = TestPaths.NewTempDirectory("vision-service");
    private ScriptedVisionServer _server = null!;
    private RoomHead _head = null!;
    private ImageStore _images = null!;
    private PeopleRegistry _people = null!;
    private VisionModelClient _model = null!;
    private VisionService _service = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _server = await ScriptedVisionServer.StartAsync();
        _head = new RoomHead(vision.Room, vision.AtFace);
        _images = new ImageStore(new ImageStoreOptions { ImagesDirectory = Path.Combine(_dir, "images") });
        _people = new PeopleRegistry(_images.PeopleDirectory, vision.Detector);
        _model = new VisionModelClient(new VisionModelOptions { Endpoint = _server.BaseUrl, Model = "scripted/vision", MaxRetries = 0 }, NullLogger<VisionModelClient>.Instance);
        _service = new VisionService(_head, _images, _people, vision.Detector, _model);
    }

    [Fact]
    public async Task TakePicture_DropsAStaleFrame_AndSavesAJpegUnderTheImagesFolder()
    {
        var picture = await _service.TakePictureAsync(Ct);

        Assert.Equal(2, _head.Frames);
        Assert.True(File.Exists(picture.Path));
        Assert.StartsWith("reachy/reachy_", picture.Argument, StringComparison.Ordinal);
        Assert.Equal((1280, 720), (picture.Width, picture.Height));
        Assert.Equal(picture.Path, await _images.ResolveAsync(picture.Argument, Ct));
    }

    [Fact]
    public async Task TowardTheFace_OneFace_AwayNone_ThenSavedPersonIsNamed()
    {
        var toward = await _service.TakePictureAsync(Ct);
        _head.PointAt(VisionFixture.Degrees(-100, 0));
        var away = await _service.TakePictureAsync(Ct);

        var unknown = Assert.Single(await _service.DetectFacesAsync(toward.Argument, Ct));
        Assert.Null(unknown.Name);
        Assert.Empty(await _service.DetectFacesAsync(away.Argument, Ct));

        var saved = await _service.SavePersonAsync(toward.Argument, "Eileen Collins", Ct);
        Assert.StartsWith("people/Eileen Collins/", saved, StringComparison.Ordinal);

        _head.PointAt(VisionFixture.Degrees(20, 0));
        var later = await _service.TakePictureAsync(Ct);
        var known = Assert.Single(await _service.DetectFacesAsync(later.Argument, Ct));
        Assert.Equal("Eileen Collins", known.Name);
        Assert.True(known.Confidence > 0);
        Assert.Equal(["Eileen Collins"], _service.KnownPeople);
    }

    [Fact]
    public async Task Describe_SendsThePictureAndTheQuestion()
    {
        var picture = await _service.TakePictureAsync(Ct);
        _server.ReplyWith("A smiling astronaut.");

        var answer = await _service.DescribeAsync(picture.Argument, "Who is there?", Ct);

        Assert.Equal("A smiling astronaut.", answer);
        Assert.Equal(["Who is there?"], Assert.Single(_server.Received).Texts);
    }

    [Fact]
    public async Task AnalyzeFace_WithNoFace_DoesNotAskTheModel()
    {
        _head.PointAt(VisionFixture.Degrees(150, 0));
        var picture = await _service.TakePictureAsync(Ct);

        var (found, faces, _) = await _service.AnalyzeFacesAsync(picture.Argument, Ct);

        Assert.Equal(0, found);
        Assert.Empty(faces!);
        Assert.Empty(_server.Received);
    }

    [Fact]
    public async Task AnalyzeFace_WithAFace_ReturnsTheModelsJudgement()
    {
        var picture = await _service.TakePictureAsync(Ct);
        _server.ReplyWith("{\"faces\":[{\"face\":1,\"age_range\":\"40-50\",\"gender_presentation\":\"feminine\",\"emotion\":\"happy\"}]}");

        var (found, faces, raw) = await _service.AnalyzeFacesAsync(picture.Argument, Ct);

        Assert.Equal(1, found);
        Assert.Equal("happy", Assert.Single(faces!).Emotion);
        Assert.Null(raw);
    }

    [Fact]
    public async Task WithoutAVisionModel_DescribeSaysFacesTextAndColours_AndThatAModelWouldSayMore()
    {
        using var noModel = new VisionModelClient(VisionModelOptions.FromEnvironment(_ => null), NullLogger<VisionModelClient>.Instance);
        var offline = new VisionService(_head, _images, _people, vision.Detector, noModel);

        // A red sign with black words on a white panel: OCR reads the words, the colours are red and white.
        using (var sign = new OpenCvSharp.Mat(360, 900, OpenCvSharp.MatType.CV_8UC3, new OpenCvSharp.Scalar(30, 30, 210)))
        {
            OpenCvSharp.Cv2.Rectangle(sign, new OpenCvSharp.Rect(60, 90, 780, 180), OpenCvSharp.Scalar.White, -1);
            OpenCvSharp.Cv2.PutText(sign, "ROBOT LAB 42", new OpenCvSharp.Point(110, 210), OpenCvSharp.HersheyFonts.HersheySimplex, 3.0, OpenCvSharp.Scalar.Black, 8);
            var path = _images.SaveCapture(sign.ImEncode(".jpg", new OpenCvSharp.ImageEncodingParam(OpenCvSharp.ImwriteFlags.JpegQuality, 95)));
            var text = await offline.DescribeAsync(_images.ToArgument(path), null, Ct);
            Assert.Contains("No vision model is configured", text, StringComparison.Ordinal);
            Assert.Contains("ROBOT LAB 42", text, StringComparison.Ordinal);
            Assert.Contains("red", text, StringComparison.Ordinal);
            Assert.Contains("white", text, StringComparison.Ordinal);
            Assert.Contains("No face", text, StringComparison.Ordinal);
            Assert.Contains("GROQ_API_KEY", text, StringComparison.Ordinal);
        }

        // Toward the person: one face, and once saved, her name.
        var picture = await offline.TakePictureAsync(Ct);
        Assert.Contains("1 face(s), no one known", await offline.DescribeAsync(picture.Argument, null, Ct), StringComparison.Ordinal);
        await offline.SavePersonAsync(picture.Argument, "Eileen Collins", Ct);
        Assert.Contains("known: Eileen Collins", await offline.DescribeAsync(picture.Argument, null, Ct), StringComparison.Ordinal);
        Assert.Empty(_server.Received);
    }

    [Theory]
    [InlineData("../../etc/passwd")]
    [InlineData("/etc/hostname")]
    [InlineData("http://127.0.0.1/x.jpg")]
    public async Task EveryToolRefusesBadImageArguments(string argument)
    {
        await Assert.ThrowsAsync<VisionException>(() => _service.DetectFacesAsync(argument, Ct));
        await Assert.ThrowsAsync<VisionException>(() => _service.DescribeAsync(argument, null, Ct));
        await Assert.ThrowsAsync<VisionException>(() => _service.AnalyzeFacesAsync(argument, Ct));
        await Assert.ThrowsAsync<VisionException>(() => _service.SavePersonAsync(argument, "X", Ct));
        Assert.Empty(_server.Received);
    }

    public async ValueTask DisposeAsync()
    {
        _model.Dispose();
        _people.Dispose();
        _images.Dispose();
        await _server.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }
}
