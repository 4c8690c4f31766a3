using OpenCvSharp;
using RosaOS.Testing;
using RosaOS.Vision.Faces;
using RosaOS.Vision.Room;

namespace RosaOS.Vision.Tests;

public sealed class EyeContactTests(VisionFixture vision)
{
    [Fact]
    public void Tracker_NeedsThreeConsecutiveFrames_AndALookAwayResets()
    {
        var tracker = new EyeContactTracker();
        var sequence = new[] { vision.AtFace, vision.AtFace, VisionFixture.Degrees(-60, 0), vision.AtFace, vision.AtFace, vision.AtFace };
        var results = new List<bool>();

        foreach (var orientation in sequence)
        {
            using var frame = VisionFixture.Decode(vision.Room.RenderJpeg(orientation));
            results.Add(tracker.Observe(vision.Detector.IsMakingEyeContact(frame)));
        }

        Assert.Equal([false, false, false, false, false, true], results);
    }

    [Fact]
    public async Task WaitForEyeContact_ReturnsWhenThePersonIsInView()
    {
        var head = new RoomHead(vision.Room, vision.AtFace);

        var seen = await EyeContactTracker.WaitForEyeContactAsync(head, vision.Detector, TimeSpan.FromMilliseconds(10), 3, TestContext.Current.CancellationToken);

        Assert.True(seen);
        Assert.Equal(4, head.Frames); // one stale frame dropped, then three positives
    }

    [Fact]
    public async Task WaitForEyeContact_KeepsWaitingWhileNobodyIsInView_AndStopsWhenCancelled()
    {
        var head = new RoomHead(vision.Room, VisionFixture.Degrees(90, 0));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        stop.CancelAfter(TimeSpan.FromMilliseconds(1500));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => EyeContactTracker.WaitForEyeContactAsync(head, vision.Detector, TimeSpan.FromMilliseconds(10), 3, stop.Token));
        Assert.True(head.Frames >= 2, $"frames examined: {head.Frames}");
    }

    [Fact]
    public void ProfileOfNothing_NoEyeContactOnPicturesWithoutPeople()
    {
        using var coffee = Cv2.ImRead(Path.Combine(VisionFixture.PicturesDirectory, "coffee.png"));
        using var cat = Cv2.ImRead(Path.Combine(VisionFixture.PicturesDirectory, "chelsea.png"));

        Assert.False(vision.Detector.IsMakingEyeContact(coffee));
        Assert.False(vision.Detector.IsMakingEyeContact(cat));
    }
}

public sealed class FaceCenteringTests(VisionFixture vision)
{
    private static readonly CenteringOptions s_options = new();

    [Fact]
    public void Nudge_TurnsTowardTheFace()
    {
        var step = 2 * Math.PI / 180;

        Assert.Equal(new CenteringStep(false, -step, 0), FaceCentering.Nudge(1280, 720, new Rect(1000, 330, 60, 60), s_options)); // right → turn right
        Assert.Equal(new CenteringStep(false, step, 0), FaceCentering.Nudge(1280, 720, new Rect(100, 330, 60, 60), s_options));   // left → turn left
        Assert.Equal(new CenteringStep(false, 0, step), FaceCentering.Nudge(1280, 720, new Rect(610, 600, 60, 60), s_options));   // below → look down
        Assert.Equal(new CenteringStep(false, 0, -step), FaceCentering.Nudge(1280, 720, new Rect(610, 20, 60, 60), s_options));   // above → look up
        Assert.Equal(new CenteringStep(true, 0, 0), FaceCentering.Nudge(1280, 720, new Rect(610, 330, 60, 60), s_options));
    }

    [Fact]
    public async Task Centring_BringsThePersonIntoTheMiddleBox_WithinTheOriginalsIterationLimit()
    {
        var head = new RoomHead(vision.Room, CameraOrientation.Forward);
        var centring = new FaceCentering(vision.Detector, head, head);

        var result = await centring.CenterAsync(TestContext.Current.CancellationToken);

        Assert.True(result.Centred, result.Message);
        Assert.InRange(result.Iterations, 2, 30);
        using var frame = VisionFixture.Decode(vision.Room.RenderJpeg(head.Orientation));
        var face = vision.Detector.DetectFaces(frame)[0];
        Assert.True(FaceCentering.Nudge(frame.Width, frame.Height, face, s_options).Centred);
        // The head ends near the face's direction (the middle box is ±128 px, about ±11° wide).
        Assert.InRange(head.Orientation.Yaw * 180 / Math.PI, (vision.FaceDirection.Azimuth * 180 / Math.PI) - 12, (vision.FaceDirection.Azimuth * 180 / Math.PI) + 12);
        Assert.Equal(result.Iterations - 1, head.Moves);
    }

    [Fact]
    public async Task Centring_WithNobodyInView_GivesUpAfterTheLimit_WithoutMoving()
    {
        var head = new RoomHead(vision.Room, VisionFixture.Degrees(-120, 0));
        var centring = new FaceCentering(vision.Detector, head, head, new CenteringOptions { MaxIterations = 5 });

        var result = await centring.CenterAsync(TestContext.Current.CancellationToken);

        Assert.False(result.FaceSeen);
        Assert.False(result.Centred);
        Assert.Equal(0, head.Moves);
        Assert.Equal(10, head.Frames); // each iteration drops a stale frame first
        Assert.Contains("No face", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Centring_StopsAtThePitchSafetyLimit()
    {
        // The face is above; with a 1° pitch limit the head cannot look up far enough.
        var head = new RoomHead(vision.Room, VisionFixture.Degrees(28, 0) with { Pitch = 0 });
        var centring = new FaceCentering(vision.Detector, head, head, new CenteringOptions { MaxPitchDegrees = 1, BoxFraction = 0.05 });

        var result = await centring.CenterAsync(TestContext.Current.CancellationToken);

        Assert.InRange(head.Orientation.Pitch, -1.0001 * Math.PI / 180, 1.0001 * Math.PI / 180);
        Assert.False(result.Centred, result.Message);
        Assert.Contains("limit", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Centring_CanBeStopped()
    {
        var head = new RoomHead(vision.Room, CameraOrientation.Forward);
        var centring = new FaceCentering(vision.Detector, head, head);
        using var stop = new CancellationTokenSource();
        await stop.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => centring.CenterAsync(stop.Token));
    }

    [Fact]
    public void BadOptions_AreRefused()
    {
        Assert.ThrowsAny<ArgumentException>(() => new FaceCentering(vision.Detector, new RoomHead(vision.Room, default), new RoomHead(vision.Room, default),
            new CenteringOptions { StepDegrees = double.NaN }));
        Assert.ThrowsAny<ArgumentException>(() => new CenteringOptions { MaxPitchDegrees = 90 }.Validate());
        Assert.ThrowsAny<ArgumentException>(() => new CenteringOptions { MaxIterations = 0 }.Validate());
    }
}

public sealed class PeopleRegistryTests(VisionFixture vision) : IDisposable
{
    private readonly string _dir = TestPaths.NewTempDirectory("people");

    [Theory]
    [InlineData("Eileen Collins", "Eileen Collins")]
    [InlineData("  Ann \t  Lee ", "Ann Lee")]
    [InlineData("../../etc/passwd", "etcpasswd")]
    [InlineData("/root", "root")]
    [InlineData("Zoë O'Neil-Smith", "Zoë O'Neil-Smith")]
    [InlineData("a:b*c?d\"e<f>g|h\\i", "abcdefghi")]
    public void Names_AreSanitised(string given, string expected)
    {
        Assert.Equal(expected, PeopleRegistry.SanitizeName(given));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("../..")]
    [InlineData("***")]
    [InlineData(null)]
    public void UnusableNames_AreRefusedWithAReason(string? given)
    {
        var ex = Assert.Throws<VisionException>(() => PeopleRegistry.SanitizeName(given));
        Assert.Contains("name", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LongNames_AreCut()
    {
        Assert.Equal(64, PeopleRegistry.SanitizeName(new string('x', 10_000)).Length);
    }

    [Fact]
    public void EmptyRegistry_FacesAreUnknown()
    {
        using var registry = new PeopleRegistry(_dir, vision.Detector);
        using var frame = VisionFixture.Decode(vision.Room.RenderJpeg(vision.AtFace));

        var match = Assert.Single(registry.Recognize(frame));

        Assert.Null(match.Name);
        Assert.Empty(registry.People);
    }

    [Fact]
    public void SavedPerson_IsRecognisedFromAnotherView_AndAfterARestart()
    {
        var saved = vision.Snapshot(VisionFixture.Degrees(28, -4), _dir, "capture.jpg");
        using (var registry = new PeopleRegistry(Path.Combine(_dir, "people"), vision.Detector))
        {
            var path = registry.Save(saved, "Eileen Collins");

            Assert.StartsWith(Path.Combine(registry.Directory, "Eileen Collins") + "/", path, StringComparison.Ordinal);
            Assert.True(File.Exists(path));
            using var other = VisionFixture.Decode(vision.Room.RenderJpeg(VisionFixture.Degrees(20, 0)));
            var match = Assert.Single(registry.Recognize(other));
            Assert.Equal("Eileen Collins", match.Name);
            Assert.InRange(match.Confidence, 0.2, 1);
        }
        using (var restarted = new PeopleRegistry(Path.Combine(_dir, "people"), vision.Detector))
        {
            using var frame = VisionFixture.Decode(vision.Room.RenderJpeg(vision.AtFace));
            Assert.Equal("Eileen Collins", Assert.Single(restarted.Recognize(frame)).Name);
            Assert.Equal(["Eileen Collins"], restarted.People);
        }
    }

    [Fact]
    public void TwoPeople_TheRightOneIsNamed_AndALessSimilarFaceIsUnknown()
    {
        using var registry = new PeopleRegistry(Path.Combine(_dir, "people"), vision.Detector);
        // A second "person": the photograph mirrored, which LBPH sees as a different face.
        using var photo = Cv2.ImRead(Path.Combine(VisionFixture.PicturesDirectory, "astronaut.png"));
        using var mirrored = new Mat();
        Cv2.Flip(photo, mirrored, FlipMode.Y);
        var mirrorPath = Path.Combine(_dir, "mirror.png");
        Cv2.ImWrite(mirrorPath, mirrored);
        registry.Save(vision.Snapshot(VisionFixture.Degrees(28, -4), _dir, "eileen.jpg"), "Eileen");

        using var view = VisionFixture.Decode(vision.Room.RenderJpeg(VisionFixture.Degrees(20, 0)));
        var before = Assert.Single(registry.Recognize(mirrored));
        registry.Save(mirrorPath, "Mirror");
        var after = Assert.Single(registry.Recognize(view));

        Assert.Null(before.Name);           // not close enough to Eileen
        Assert.Equal("Eileen", after.Name); // retrained with two people, still the right one
        Assert.Equal(["Eileen", "Mirror"], registry.People);
    }

    [Fact]
    public void SavingAPictureWithoutAFace_IsRefused_AndNothingIsStored()
    {
        using var registry = new PeopleRegistry(Path.Combine(_dir, "people"), vision.Detector);

        var ex = Assert.Throws<VisionException>(() => registry.Save(Path.Combine(VisionFixture.PicturesDirectory, "coffee.png"), "Coffee"));

        Assert.Contains("No face", ex.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(registry.Directory, "Coffee")));
    }

    [Fact]
    public void SavingSomethingThatIsNotAnImage_IsRefused()
    {
        var text = Path.Combine(_dir, "notes.jpg");
        File.WriteAllText(text, "not a picture");
        using var registry = new PeopleRegistry(Path.Combine(_dir, "people"), vision.Detector);

        var ex = Assert.Throws<VisionException>(() => registry.Save(text, "Someone"));
        Assert.Contains("not a readable image", ex.Message, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
