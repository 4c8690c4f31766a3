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
