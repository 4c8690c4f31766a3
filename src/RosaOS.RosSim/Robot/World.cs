using RosaOS.Vision.Room;

namespace RosaOS.RosSim.Robot;

/// <summary>An axis-aligned box obstacle on the floor, metres.</summary>
public sealed record Obstacle(string Name, double MinX, double MinY, double MaxX, double MaxY);

/// <summary>A picture on a wall at a point of the floor plan (its centre), with the room's label for it.</summary>
public sealed record WallPicture(string Label, string File, double X, double Y, double AzimuthDeg);

/// <summary>
/// The simulated robot's 2D world: a square room centred on the origin with walls at ±<see cref="HalfSize"/>, box
/// obstacles, the dock against the south wall, and the simulated room's pictures hung on the walls at the azimuths of
/// <see cref="RoomLayout.Default"/> as seen from the room's centre (so the camera, which renders that room, agrees with the map).
/// </summary>
public sealed class World
{
    /// <summary>Half the side of the square room, metres.</summary>
    public double HalfSize { get; init; } = 4.0;

    /// <summary>Robot radius (TurtleBot 4: 0.17 m).</summary>
    public double RobotRadius { get; init; } = 0.17;

    /// <summary>The obstacles.</summary>
    public IReadOnlyList<Obstacle> Obstacles { get; init; } =
    [
        new("table", 1.2, 1.0, 2.2, 1.8),
        new("box", -2.4, -0.6, -1.8, 0.0),
        new("plant", 0.6, -2.2, 1.0, -1.8),
    ];

    /// <summary>Where the robot sits when docked, facing the dock at the south wall: x, y, yaw.</summary>
    public (double X, double Y, double Yaw) DockPose { get; init; } = (0.0, -3.6, -Math.PI / 2);

    /// <summary>The dock's own position (against the wall).</summary>
    public (double X, double Y) Dock => (DockPose.X, DockPose.Y - 0.25);

    /// <summary>The pictures on the walls.</summary>
    public IReadOnlyList<WallPicture> Pictures => [.. RoomLayout.Default.Pictures.Where(p => p.ElevationDeg < 30).Select(p =>
    {
        var (x, y) = WallPoint(0, 0, p.AzimuthDeg * Math.PI / 180);
        return new WallPicture(p.Label, p.File, x, y, p.AzimuthDeg);
    })];

    /// <summary>Where a ray from (x, y) in direction <paramref name="angle"/> meets the walls.</summary>
    public (double X, double Y) WallPoint(double x, double y, double angle)
    {
        var (dx, dy) = (Math.Cos(angle), Math.Sin(angle));
        var t = double.PositiveInfinity;
        if (dx > 1e-9) { t = Math.Min(t, (HalfSize - x) / dx); }
        if (dx < -1e-9) { t = Math.Min(t, (-HalfSize - x) / dx); }
        if (dy > 1e-9) { t = Math.Min(t, (HalfSize - y) / dy); }
        if (dy < -1e-9) { t = Math.Min(t, (-HalfSize - y) / dy); }
        return (x + (t * dx), y + (t * dy));
    }

    /// <summary>What a robot disc at (x, y) touches, or null: "wall" or the obstacle's name, with the contact direction (world angle).</summary>
    public (string What, double Direction)? Contact(double x, double y)
    {
        var r = RobotRadius;
        if (x + r > HalfSize) { return ("wall", 0); }
        if (x - r < -HalfSize) { return ("wall", Math.PI); }
        if (y + r > HalfSize) { return ("wall", Math.PI / 2); }
        if (y - r < -HalfSize) { return ("wall", -Math.PI / 2); }
        foreach (var o in Obstacles)
        {
            var cx = Math.Clamp(x, o.MinX, o.MaxX);
            var cy = Math.Clamp(y, o.MinY, o.MaxY);
            if (((x - cx) * (x - cx)) + ((y - cy) * (y - cy)) < r * r)
            {
                return (o.Name, Math.Atan2(cy - y, cx - x));
            }
        }
        return null;
    }

    /// <summary>True when a robot disc at (x, y), grown by <paramref name="margin"/>, is clear of walls and obstacles.</summary>
    public bool IsFree(double x, double y, double margin)
    {
        var r = RobotRadius + margin;
        if (Math.Abs(x) + r > HalfSize || Math.Abs(y) + r > HalfSize)
        {
            return false;
        }
        foreach (var o in Obstacles)
        {
            var cx = Math.Clamp(x, o.MinX, o.MaxX);
            var cy = Math.Clamp(y, o.MinY, o.MaxY);
            if (((x - cx) * (x - cx)) + ((y - cy) * (y - cy)) < r * r)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// A shortest path on a 0.1 m grid (A*, 8-connected) from one point to another, keeping <paramref name="margin"/> from
    /// everything; null when the goal cannot be reached. The goal itself may be closer than the margin (the dock, a picture).
    /// </summary>
    public IReadOnlyList<(double X, double Y)>? Plan((double X, double Y) from, (double X, double Y) to, double margin = 0.08)
    {
        const double Cell = 0.1;
        var n = (int)Math.Ceiling(2 * HalfSize / Cell);
        int Index(double v) => Math.Clamp((int)Math.Floor((v + HalfSize) / Cell), 0, n - 1);
        double Centre(int i) => -HalfSize + ((i + 0.5) * Cell);
        var start = (Index(from.X), Index(from.Y));
        var goal = (Index(to.X), Index(to.Y));
        bool Free((int X, int Y) c) => c == goal || c == start || IsFree(Centre(c.X), Centre(c.Y), margin);
        if (!IsFree(to.X, to.Y, 0))
        {
            return null;
        }
        var open = new PriorityQueue<(int X, int Y), double>();
        var cost = new Dictionary<(int, int), double> { [start] = 0 };
        var parent = new Dictionary<(int, int), (int, int)>();
        double H((int X, int Y) c) => Math.Sqrt(Math.Pow(c.X - goal.Item1, 2) + Math.Pow(c.Y - goal.Item2, 2));
        open.Enqueue(start, H(start));
        while (open.TryDequeue(out var current, out _))
        {
            if (current == goal)
            {
                var cells = new List<(int X, int Y)> { current };
                while (parent.TryGetValue(cells[^1], out var p))
                {
                    cells.Add(p);
                }
                cells.Reverse();
                var path = cells.Skip(1).Select(c => (Centre(c.X), Centre(c.Y))).ToList();
                if (path.Count > 0)
                {
                    path[^1] = to;
                }
                else
                {
                    path.Add(to);
                }
                return Simplify(from, path);
            }
            for (var dx = -1; dx <= 1; dx++)
            {
                for (var dy = -1; dy <= 1; dy++)
                {
                    if (dx == 0 && dy == 0)
                    {
                        continue;
                    }
                    var next = (X: current.X + dx, Y: current.Y + dy);
                    if (next.X < 0 || next.Y < 0 || next.X >= n || next.Y >= n || !Free(next))
                    {
                        continue;
                    }
                    var g = cost[current] + (dx != 0 && dy != 0 ? Math.Sqrt(2) : 1);
                    if (!cost.TryGetValue(next, out var old) || g < old)
                    {
                        cost[next] = g;
                        parent[next] = current;
                        open.Enqueue(next, g + H(next));
                    }
                }
            }
        }
        return null;
    }

    // Drops waypoints that a straight, clear line can skip.
    private List<(double X, double Y)> Simplify((double X, double Y) from, List<(double X, double Y)> path)
    {
        var result = new List<(double X, double Y)>();
        var anchor = from;
        var i = 0;
        while (i < path.Count)
        {
            var j = path.Count - 1;
            while (j > i && !LineFree(anchor, path[j]))
            {
                j--;
            }
            result.Add(path[j]);
            anchor = path[j];
            i = j + 1;
        }
        return result;
    }

    private bool LineFree((double X, double Y) a, (double X, double Y) b)
    {
        var length = Math.Sqrt(Math.Pow(b.X - a.X, 2) + Math.Pow(b.Y - a.Y, 2));
        var steps = Math.Max(1, (int)(length / 0.05));
        for (var s = 1; s < steps; s++)
        {
            var t = s / (double)steps;
            if (!IsFree(a.X + ((b.X - a.X) * t), a.Y + ((b.Y - a.Y) * t), 0.05))
            {
                return false;
            }
        }
        return true;
    }
}
