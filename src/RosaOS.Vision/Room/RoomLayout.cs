namespace RosaOS.Vision.Room;

/// <summary>
/// A picture hung in the virtual room, centred at an azimuth and elevation around the robot (degrees; +azimuth
/// is to the robot's left, +elevation up, 0/0 straight ahead of the base) and spanning <paramref name="WidthDeg"/>.
/// </summary>
/// <param name="File">File name under the pictures folder (scikit-image's sample images).</param>
/// <param name="Label">What the picture shows, written under it and used by tests and docs.</param>
/// <param name="AzimuthDeg">Centre azimuth, degrees, + to the robot's left.</param>
/// <param name="ElevationDeg">Centre elevation, degrees, + up.</param>
/// <param name="WidthDeg">Angular width, degrees.</param>
public sealed record RoomPicture(string File, string Label, double AzimuthDeg, double ElevationDeg, double WidthDeg);

/// <summary>What hangs where in the simulated robot's room.</summary>
public sealed record RoomLayout(IReadOnlyList<RoomPicture> Pictures)
{
    /// <summary>
    /// The default room: a person (NASA's portrait of astronaut Eileen Collins, public domain) sits a little to the
    /// robot's left, with distinct objects all around: a cup of coffee, a cat, a motorcycle, a horse, a rocket and the moon.
    /// </summary>
    public static RoomLayout Default { get; } = new(
    [
        new("astronaut.png", "a person (astronaut portrait)", AzimuthDeg: 25, ElevationDeg: -10, WidthDeg: 50),
        new("coffee.png", "a cup of coffee", AzimuthDeg: -40, ElevationDeg: -14, WidthDeg: 32),
        new("chelsea.png", "a cat", AzimuthDeg: 85, ElevationDeg: -5, WidthDeg: 36),
        new("motorcycle_left.png", "a motorcycle", AzimuthDeg: -100, ElevationDeg: -8, WidthDeg: 42),
        new("horse.png", "a horse", AzimuthDeg: -150, ElevationDeg: -5, WidthDeg: 34),
        new("rocket.jpg", "a rocket launch", AzimuthDeg: 145, ElevationDeg: 0, WidthDeg: 36),
        new("moon.png", "the moon", AzimuthDeg: -60, ElevationDeg: 38, WidthDeg: 18),
    ]);

    /// <summary>The picture of the person the simulated camera can see.</summary>
    public static RoomPicture Person => Default.Pictures[0];

    /// <summary>Throws when a picture would not fit on the panorama (crossing the ±180° seam or the poles).</summary>
    public void Validate()
    {
        foreach (var picture in Pictures)
        {
            if (!(picture.WidthDeg is > 0 and < 120) || Math.Abs(picture.AzimuthDeg) + (picture.WidthDeg / 2) >= 180
                || Math.Abs(picture.ElevationDeg) >= 80 || !double.IsFinite(picture.AzimuthDeg) || !double.IsFinite(picture.ElevationDeg))
            {
                throw new ArgumentException($"Picture {picture.File} at azimuth {picture.AzimuthDeg}°, elevation {picture.ElevationDeg}°, " +
                    $"width {picture.WidthDeg}° does not fit: keep it within ±180° azimuth and ±80° elevation.", nameof(Pictures));
            }
        }
    }
}
