using OpenCvSharp;
using RosaOS.Vision.Room;

namespace RosaOS.Vision.Tests;

public sealed class VirtualRoomTests(VisionFixture vision)
{
    [Fact]
    public void Frame_HasTheDaemonsGenericCameraResolution()
    {
        using var frame = VisionFixture.Decode(vision.Room.RenderJpeg(CameraOrientation.Forward));

        Assert.Equal(1280, frame.Width);
        Assert.Equal(720, frame.Height);
        Assert.Equal(90, CameraModel.Generic.HorizontalFov * 180 / Math.PI, 3);
    }

    [Fact]
    public void LookingAtThePerson_OneFaceWhereTheGeometrySaysAndEyeContact()
    {
        using var frame = VisionFixture.Decode(vision.Room.RenderJpeg(vision.AtFace));

        var face = Assert.Single(vision.Detector.DetectFaces(frame));
        var centre = new Point2d(face.X + (face.Width / 2.0), face.Y + (face.Height / 2.0));
        Assert.InRange(centre.X, 640 - 25, 640 + 25);
        Assert.InRange(centre.Y, 360 - 25, 360 + 25);
        Assert.True(vision.Detector.IsMakingEyeContact(frame));
    }

    [Theory]
    [InlineData(0, 0, 0)]
    [InlineData(15, -10, 0)]
    [InlineData(40, 5, 0)]
    [InlineData(28, 0, 6)]
    public void FacePosition_FollowsYawPitchAndRoll(double yaw, double pitch, double roll)
    {
        var orientation = VisionFixture.Degrees(yaw, pitch, roll);
        using var frame = VisionFixture.Decode(vision.Room.RenderJpeg(orientation));

        var expected = vision.Room.Project(orientation, vision.FaceDirection.Azimuth, vision.FaceDirection.Elevation);
        var face = Assert.Single(vision.Detector.DetectFaces(frame));
        Assert.NotNull(expected);
        // Off-axis views stretch the face, so allow a fraction of its size.
        Assert.InRange(face.X + (face.Width / 2.0), expected.Value.X - 30, expected.Value.X + 30);
        Assert.InRange(face.Y + (face.Height / 2.0), expected.Value.Y - 30, expected.Value.Y + 30);
    }

    [Fact]
    public void TurningLeft_MovesTheFaceRightInThePicture()
    {
        using var a = VisionFixture.Decode(vision.Room.RenderJpeg(VisionFixture.Degrees(20, 0)));
        using var b = VisionFixture.Decode(vision.Room.RenderJpeg(VisionFixture.Degrees(30, 0)));

        var faceA = Assert.Single(vision.Detector.DetectFaces(a));
        var faceB = Assert.Single(vision.Detector.DetectFaces(b));
        // 10° of yaw at 640 px focal length is about 110 px near the centre.
        Assert.InRange(faceB.X - faceA.X, 80, 140);
    }

    [Theory]
    [InlineData(-60, 0)]
    [InlineData(90, 0)]
    [InlineData(180, 0)]
    [InlineData(-150, 0)]
    [InlineData(25, -40)]
    [InlineData(25, 35)]
    public void LookingAway_NoFace(double yaw, double pitch)
    {
        using var frame = VisionFixture.Decode(vision.Room.RenderJpeg(VisionFixture.Degrees(yaw, pitch)));

        Assert.Empty(vision.Detector.DetectFaces(frame));
        Assert.False(vision.Detector.IsMakingEyeContact(frame));
    }

    [Fact]
    public void Views_DifferWhenTheHeadMoves_AndRepeatWhenItDoesNot()
    {
        var first = vision.Room.RenderJpeg(VisionFixture.Degrees(-40, 10));
        var again = vision.Room.RenderJpeg(VisionFixture.Degrees(-40, 10));
        var moved = vision.Room.RenderJpeg(VisionFixture.Degrees(-38, 10));

        Assert.Equal(first, again);
        Assert.NotEqual(first, moved);
        using var a = VisionFixture.Decode(first);
        using var b = VisionFixture.Decode(moved);
        using var diff = new Mat();
        Cv2.Absdiff(a, b, diff);
        Assert.True(Cv2.Mean(diff).Val0 > 2, "a 2° turn should change the picture visibly");
    }

    [Theory]
    [InlineData(double.NaN, 0, 0)]
    [InlineData(0, double.PositiveInfinity, 0)]
    [InlineData(0, 0, double.NegativeInfinity)]
    public void NonFiniteOrientation_IsRefused(double yaw, double pitch, double roll)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => vision.Room.RenderJpeg(new CameraOrientation(yaw, pitch, roll)));
    }

    [Fact]
    public void HugeAngles_WrapAroundInsteadOfFailing()
    {
        using var full = VisionFixture.Decode(vision.Room.RenderJpeg(new CameraOrientation(vision.AtFace.Yaw + (4 * Math.PI), vision.AtFace.Pitch, 0)));

        Assert.Single(vision.Detector.DetectFaces(full));
    }

    [Fact]
    public void MissingPictures_SayHowToInstallThem()
    {
        var ex = Assert.Throws<FileNotFoundException>(() => VirtualRoom.Create(Path.Combine(Path.GetTempPath(), "no-such-pictures")));

        Assert.Contains("scripts/install.sh", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MatrixPose_GivesTheSameOrientationAsItsAngles()
    {
        // The daemon doc's worked example: roll 0.1, pitch 0.1, yaw 0.2.
        double[] m = [0.975170327202, -0.187908771234, 0.117188423653, 0.005, 0.197676811654, 0.977150407022, -0.078108643508, -0.003,
            -0.099833416647, 0.099334665398, 0.990033288921, 0.005, 0, 0, 0, 1];

        var o = CameraOrientation.FromMatrix(m);

        Assert.Equal(0.2, o.Yaw, 6);
        Assert.Equal(0.1, o.Pitch, 6);
        Assert.Equal(0.1, o.Roll, 6);
    }
}
