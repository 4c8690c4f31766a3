using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using OpenCvSharp;
using RosaOS.Testing;
using RosaOS.Vision.Faces;
using RosaOS.Vision.Room;

namespace RosaOS.Vision.Tests;

/// <summary>
/// A real <c>rosa sim</c> (the simulated robot with its head camera), a real <c>rosa reachy</c> talking to it, a real MCP
/// client, and the scripted vision server standing in for Groq. Data (images, people) in a fresh folder.
/// </summary>
public sealed class RobotFixture : IAsyncLifetime
{
    /// <summary>The port <c>rosa sim</c> got (port 0, reported).</summary>
    public int SimPort { get; private set; }

    /// <summary>The port <c>rosa reachy</c> got (port 0, reported).</summary>
    public int ReachyPort { get; private set; }

    public string DataDir { get; } = TestPaths.NewTempDirectory("robot-vision");

    public RosaProcess Sim { get; private set; } = null!;

    public RosaProcess Reachy { get; private set; } = null!;

    public ScriptedVisionServer VisionServer { get; private set; } = null!;

    public HttpClient SimHttp { get; private set; } = null!;

    public McpClient Mcp { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        VisionServer = await ScriptedVisionServer.StartAsync();
        Sim = RosaProcess.StartRosa(["sim", "--port", "0"]);
        SimPort = (await Sim.WaitForListeningAsync("sim")).Port;
        var port = SimPort.ToString(CultureInfo.InvariantCulture);
        Reachy = RosaProcess.StartRosa(["reachy", "--port", "0", "--daemon", $"http://127.0.0.1:{port}"],
            new Dictionary<string, string?>
            {
                ["ROSAOS_DATA_DIR"] = DataDir,
                ["ROSAOS_VISION_BASE_URL"] = VisionServer.BaseUrl.ToString(),
                ["ROSAOS_VISION_MODEL"] = "scripted/vision-model",
                ["ROSAOS_VISION_API_KEY"] = "vision-key",
                ["TTS_ENGINE"] = "espeak",
            });
        SimHttp = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(60) };
        ReachyPort = (await Reachy.WaitForListeningAsync("reachy")).Port;
        await Poll.UntilAsync(async () => (await SimHttp.GetFromJsonAsync<JsonNode>("api/daemon/status"))!["state"]!.GetValue<string>() == "running", "the simulated daemon running");
        await WaitIdleAsync();
        var transport = new HttpClientTransport(new HttpClientTransportOptions { Endpoint = new Uri($"http://127.0.0.1:{ReachyPort}/mcp"), TransportMode = HttpTransportMode.StreamableHttp });
        Mcp = await McpClient.CreateAsync(transport, new McpClientOptions { ProtocolVersion = "2025-11-25" }, cancellationToken: TestContext.Current.CancellationToken);
    }

    /// <summary>
    /// Turns the simulated head (degrees) through the daemon API and waits until it is there. A goto sent while another
    /// move runs is dropped by the daemon (its single-flight rule), so it is sent again until the head arrives.
    /// </summary>
    public async Task LookAsync(double yawDeg, double pitchDeg)
    {
        var (yaw, pitch) = (yawDeg * Math.PI / 180, pitchDeg * Math.PI / 180);
        var deadline = DateTime.UtcNow + TestTimeouts.Effect;
        while (true)
        {
            await WaitIdleAsync();
            using (var response = await SimHttp.PostAsJsonAsync("api/move/goto",
                new { head_pose = new { x = 0, y = 0, z = 0, roll = 0, pitch, yaw }, duration = 0.3 }, TestContext.Current.CancellationToken))
            {
                Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
            }
            try
            {
                await Poll.UntilAsync(async () =>
                {
                    var pose = await PresentHeadAsync();
                    return Math.Abs(pose.Yaw - yaw) < 0.01 && Math.Abs(pose.Pitch - pitch) < 0.01;
                }, $"head at yaw {yawDeg}°, pitch {pitchDeg}°", TimeSpan.FromSeconds(3));
                break;
            }
            catch (TimeoutException) when (DateTime.UtcNow < deadline)
            {
            }
        }
        await WaitIdleAsync();
    }

    public async Task<(double Yaw, double Pitch)> PresentHeadAsync()
    {
        var pose = (await SimHttp.GetFromJsonAsync<JsonNode>("api/state/present_head_pose", TestContext.Current.CancellationToken))!;
        return (pose["yaw"]!.GetValue<double>(), pose["pitch"]!.GetValue<double>());
    }

    public async Task<(string Text, bool IsError, IList<ContentBlock> Content)> CallAsync(string tool, Dictionary<string, object?>? args = null)
    {
        var result = await Mcp.CallToolAsync(tool, args ?? [], cancellationToken: TestContext.Current.CancellationToken);
        var text = string.Join("\n", result.Content.OfType<TextContentBlock>().Select(b => b.Text));
        return (text, result.IsError == true, result.Content);
    }

    public async Task<(string Text, bool IsError)> CallRawAsync(string tool, string argumentsJson)
    {
        var args = System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, System.Text.Json.JsonElement>>(argumentsJson)!;
        try
        {
            var result = await Mcp.CallToolAsync(new CallToolRequestParams { Name = tool, Arguments = args }, TestContext.Current.CancellationToken);
            return (string.Join("\n", result.Content.OfType<TextContentBlock>().Select(b => b.Text)), result.IsError == true);
        }
        catch (ModelContextProtocol.McpException e)
        {
            return (e.Message, true);
        }
    }

    /// <summary>take_picture for a multimodal model; returns the saved image's name.</summary>
    public async Task<string> TakePictureAsync()
    {
        var (text, isError, _) = await CallAsync("take_picture", new() { ["for_text_only_model"] = false });
        Assert.False(isError, text);
        return text.Split(' ')[3];
    }

    private async Task WaitIdleAsync()
        => await Poll.UntilAsync(async () => (await SimHttp.GetFromJsonAsync<JsonArray>("api/move/running"))!.Count == 0, "no move running");

    public async ValueTask DisposeAsync()
    {
        if (Mcp is not null)
        {
            await Mcp.DisposeAsync();
        }
        await Reachy.DisposeAsync();
        await Sim.DisposeAsync();
        SimHttp.Dispose();
        await VisionServer.DisposeAsync();
        Directory.Delete(DataDir, recursive: true);
    }
}

public sealed class RobotVisionTests(RobotFixture robot, VisionFixture vision) : IClassFixture<RobotFixture>
{
    private static readonly (double Yaw, double Pitch) s_away = (-60, 0);

    private (double Yaw, double Pitch) FaceDegrees => (vision.FaceDirection.Azimuth * 180 / Math.PI, -vision.FaceDirection.Elevation * 180 / Math.PI);

    private string ImagePath(string argument) => Path.Combine(robot.DataDir, "images", argument);

    [Fact]
    public async Task TowardTheFace_OneFace_AwayNone()
    {
        await robot.LookAsync(FaceDegrees.Yaw, FaceDegrees.Pitch);
        var toward = await robot.TakePictureAsync();
        await robot.LookAsync(s_away.Yaw, s_away.Pitch);
        var away = await robot.TakePictureAsync();

        var (faces, isError, _) = await robot.CallAsync("detect_faces", new() { ["image"] = toward });
        var (none, isError2, _) = await robot.CallAsync("detect_faces", new() { ["image"] = away });

        Assert.False(isError, faces);
        Assert.StartsWith("Found 1 face(s)", faces, StringComparison.Ordinal);
        Assert.False(isError2, none);
        Assert.Equal("No face found.", none);
        using var saved = Cv2.ImRead(ImagePath(toward));
        Assert.Equal((1280, 720), (saved.Width, saved.Height));
    }

    [Fact]
    public async Task SavedPerson_IsNamedByDetectFaces()
    {
        await robot.LookAsync(FaceDegrees.Yaw + 4, FaceDegrees.Pitch);
        var picture = await robot.TakePictureAsync();

        var (saved, isError, _) = await robot.CallAsync("save_image_person", new() { ["image"] = picture, ["person_name"] = "Eileen Collins" });
        Assert.False(isError, saved);
        Assert.Contains("people/Eileen Collins/", saved, StringComparison.Ordinal);

        await robot.LookAsync(FaceDegrees.Yaw - 6, FaceDegrees.Pitch + 3);
        var later = await robot.TakePictureAsync();
        var (faces, isError2, _) = await robot.CallAsync("detect_faces", new() { ["image"] = later });

        Assert.False(isError2, faces);
        Assert.Contains("Eileen Collins (confidence 0.", faces, StringComparison.Ordinal);
        Assert.True(Directory.EnumerateFiles(Path.Combine(robot.DataDir, "images", "people", "Eileen Collins")).Any());
    }

    [Fact]
    public async Task CenterOnFace_ConvergesWithinTheOriginalsLimit()
    {
        await robot.LookAsync(8, 6);

        var (text, isError, _) = await robot.CallAsync("center_on_face");

        Assert.False(isError, text);
        Assert.StartsWith("Face centred after", text, StringComparison.Ordinal);
        var head = await robot.PresentHeadAsync();
        Assert.InRange(head.Yaw * 180 / Math.PI, FaceDegrees.Yaw - 12, FaceDegrees.Yaw + 12);
        var picture = await robot.TakePictureAsync();
        using var frame = Cv2.ImRead(ImagePath(picture));
        var face = vision.Detector.DetectFaces(frame)[0];
        Assert.True(FaceCentering.Nudge(frame.Width, frame.Height, face, new CenteringOptions()).Centred, $"face at {face}");
    }

    [Fact]
    public async Task CameraEndpoint_ServesTheHeadCamerasLatestFrame_AsTheHeadMoves()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var url = new Uri($"http://127.0.0.1:{robot.ReachyPort}/camera/frame.jpg");

        await robot.LookAsync(FaceDegrees.Yaw, FaceDegrees.Pitch);
        using var toward = await http.GetAsync(url, TestContext.Current.CancellationToken);
        var towardJpeg = await toward.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken);
        await robot.LookAsync(s_away.Yaw, s_away.Pitch);
        var awayJpeg = await http.GetByteArrayAsync(url, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, toward.StatusCode);
        Assert.Equal("image/jpeg", toward.Content.Headers.ContentType?.MediaType);
        Assert.Contains("no-store", toward.Headers.CacheControl?.ToString() ?? "", StringComparison.Ordinal);
        using var towardFrame = VisionFixture.Decode(towardJpeg);
        using var awayFrame = VisionFixture.Decode(awayJpeg);
        Assert.Equal((1280, 720), (towardFrame.Width, towardFrame.Height));
        Assert.Single(vision.Detector.DetectFaces(towardFrame));
        Assert.Empty(vision.Detector.DetectFaces(awayFrame));
    }

    /// <summary>Waits until the sim's DoA reports a voice from <paramref name="azimuthDeg"/> (a clip said before may still be sounding).</summary>
    private async Task VoiceFromAsync(double azimuthDeg)
        => await Poll.UntilAsync(async () =>
        {
            var doa = await robot.SimHttp.GetFromJsonAsync<JsonNode>("api/state/doa", TestContext.Current.CancellationToken);
            return doa?["angle"] is { } angle && Math.Abs(angle.GetValue<double>() - (azimuthDeg * Math.PI / 180)) < 0.01;
        }, $"the simulated voice sounding from {azimuthDeg}°", TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(20));

    [Fact]
    public async Task MoveToAudio_TowardASpeakersFace_TurnsThenCentresTheHeadOnTheFace()
    {
        // The speaker stands 18° right of the astronaut's face: the DoA turn alone leaves her face outside the middle box.
        await robot.LookAsync(s_away.Yaw, s_away.Pitch);
        var turnYaw = Math.Round(FaceDegrees.Yaw - 18);
        var azimuth = 90 - turnYaw;
        using (var say = await robot.SimHttp.PostAsJsonAsync("sim/say",
            new { text = "Could you look over here at me please, I am standing right in front of you and talking for a while now.", azimuth_deg = azimuth },
            TestContext.Current.CancellationToken))
        {
            Assert.True(say.IsSuccessStatusCode, await say.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        }
        await VoiceFromAsync(azimuth);

        var (text, isError, _) = await robot.CallAsync("move_to_audio");

        Assert.False(isError, text);
        // The sim's DoA carries the speaker's azimuth (within its estimate): the turn lands near the speaker, short of the face.
        var turned = System.Text.RegularExpressions.Regex.Match(text, @"head yaw (-?[0-9.]+)°");
        Assert.True(turned.Success, text);
        Assert.InRange(double.Parse(turned.Groups[1].Value, CultureInfo.InvariantCulture), turnYaw - 1, turnYaw + 1);
        Assert.Contains("Face centred after", text, StringComparison.Ordinal);
        var head = await robot.PresentHeadAsync();
        Assert.InRange(head.Yaw * 180 / Math.PI, FaceDegrees.Yaw - 12, FaceDegrees.Yaw + 12);
        Assert.True(head.Yaw * 180 / Math.PI > turnYaw + 4, $"the head went on from the DoA turn ({turnYaw}°) toward the face: {head.Yaw * 180 / Math.PI:0.#}°");
        var picture = await robot.TakePictureAsync();
        using var frame = Cv2.ImRead(ImagePath(picture));
        var face = vision.Detector.DetectFaces(frame)[0];
        Assert.True(FaceCentering.Nudge(frame.Width, frame.Height, face, new CenteringOptions()).Centred, $"face at {face}");
    }

    [Fact]
    public async Task MoveToAudio_TowardNoFace_StopsLookingAfterAFewFrames()
    {
        await robot.LookAsync(0, 0);
        using (var say = await robot.SimHttp.PostAsJsonAsync("sim/say",
            new { text = "Nobody is standing where I am talking from, but I keep on talking for a few seconds anyway.", azimuth_deg = 90 - s_away.Yaw },
            TestContext.Current.CancellationToken))
        {
            Assert.True(say.IsSuccessStatusCode, await say.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        }
        await VoiceFromAsync(90 - s_away.Yaw);

        var (text, isError, _) = await robot.CallAsync("move_to_audio");

        Assert.False(isError, text);
        Assert.Contains("No face seen in 3 frames.", text, StringComparison.Ordinal);
        var head = await robot.PresentHeadAsync();
        Assert.InRange(head.Yaw * 180 / Math.PI, s_away.Yaw - 1, s_away.Yaw + 1);
    }

    [Fact]
    public async Task TakePicture_ForAMultimodalModel_ReturnsTheJpeg_ForATextOnlyModel_ItsDescription()
    {
        await robot.LookAsync(FaceDegrees.Yaw, FaceDegrees.Pitch);
        var (text, isError, content) = await robot.CallAsync("take_picture", new() { ["for_text_only_model"] = false });
        Assert.False(isError, text);
        var image = Assert.Single(content.OfType<ImageContentBlock>());
        Assert.Equal("image/jpeg", image.MimeType);
        using var decoded = Cv2.ImDecode(image.DecodedData.ToArray(), ImreadModes.Color);
        Assert.Equal((1280, 720), (decoded.Width, decoded.Height));
        Assert.Single(vision.Detector.DetectFaces(decoded));

        robot.VisionServer.ReplyWith("A smiling astronaut in front of an American flag, with a cup of coffee to the right.");
        var before = robot.VisionServer.Received.Count;
        var (described, isError2, _) = await robot.CallAsync("take_picture");

        Assert.False(isError2, described);
        Assert.Contains("Description: A smiling astronaut", described, StringComparison.Ordinal);
        var request = robot.VisionServer.Received[before];
        Assert.Equal(["What is in the image?"], request.Texts);
        Assert.Equal("Bearer vision-key", request.Authorization);
    }

    [Fact]
    public async Task DescribeImage_SendsAValidJpegDataUri_AndTheQuestion()
    {
        await robot.LookAsync(FaceDegrees.Yaw, FaceDegrees.Pitch);
        var picture = await robot.TakePictureAsync();
        robot.VisionServer.ReplyWith("An astronaut.");
        var before = robot.VisionServer.Received.Count;

        var (answer, isError, _) = await robot.CallAsync("describe_image", new() { ["image"] = picture, ["question"] = "Who is looking at the robot?" });

        Assert.False(isError, answer);
        Assert.Equal("An astronaut.", answer);
        var request = robot.VisionServer.Received[before];
        Assert.Equal("scripted/vision-model", request.Model);
        Assert.Equal(["Who is looking at the robot?"], request.Texts);
        const string prefix = "data:image/jpeg;base64,";
        var uri = Assert.Single(request.ImageUrls);
        Assert.StartsWith(prefix, uri, StringComparison.Ordinal);
        using var sent = Cv2.ImDecode(Convert.FromBase64String(uri[prefix.Length..]), ImreadModes.Color);
        Assert.Equal((1280, 720), (sent.Width, sent.Height));
    }

    [Fact]
    public async Task AnalyzeFace_AsksTheModelWithTheStructuredPrompt_OrSaysThereIsNoFace()
    {
        await robot.LookAsync(FaceDegrees.Yaw, FaceDegrees.Pitch);
        var withFace = await robot.TakePictureAsync();
        await robot.LookAsync(s_away.Yaw, s_away.Pitch);
        var withoutFace = await robot.TakePictureAsync();
        robot.VisionServer.ReplyWith("{\"faces\":[{\"face\":1,\"age_range\":\"35-45\",\"gender_presentation\":\"feminine\",\"emotion\":\"happy\"}]}");
        var before = robot.VisionServer.Received.Count;

        var (analysis, isError, _) = await robot.CallAsync("analyze_face", new() { ["image"] = withFace });
        var (noFace, isError2, _) = await robot.CallAsync("analyze_face", new() { ["image"] = withoutFace });

        Assert.False(isError, analysis);
        Assert.Equal("1 face(s) found. Face 1: age 35-45, gender presentation feminine, emotion happy.", analysis);
        Assert.Equal("No face found in the image.", noFace);
        Assert.False(isError2);
        Assert.Equal(before + 1, robot.VisionServer.Received.Count);
        var prompt = Assert.Single(robot.VisionServer.Received[before].Texts);
        Assert.Contains("age range", prompt, StringComparison.Ordinal);
        using var sent = Cv2.ImDecode(Convert.FromBase64String(Assert.Single(robot.VisionServer.Received[before].ImageUrls)["data:image/jpeg;base64,".Length..]), ImreadModes.Color);
        Assert.Equal((1280, 720), (sent.Width, sent.Height));
    }

    [Theory]
    [InlineData("describe_image", "../../../../etc/passwd", "outside the images folder")]
    [InlineData("detect_faces", "/etc/passwd", "outside the images folder")]
    [InlineData("analyze_face", "https://example.com/face.jpg", "URLs are disabled")]
    [InlineData("save_image_person", "file:///etc/passwd", "URI schemes")]
    [InlineData("detect_faces", "", "No image given")]
    [InlineData("detect_faces", "reachy/never-taken.jpg", "No image 'reachy/never-taken.jpg'")]
    public async Task RefusedImageArguments_GetAClearError(string tool, string image, string reason)
    {
        var args = new Dictionary<string, object?> { ["image"] = image };
        if (tool == "save_image_person")
        {
            args["person_name"] = "Mallory";
        }

        var (text, isError, _) = await robot.CallAsync(tool, args);

        Assert.True(isError, text);
        Assert.Contains(reason, text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("detect_faces", """{"image": 42}""")]
    [InlineData("detect_faces", """{}""")]
    [InlineData("describe_image", """{"image": ["a", "b"], "question": {"x": 1}}""")]
    [InlineData("save_image_person", """{"image": "reachy/x.jpg", "person_name": null}""")]
    [InlineData("save_image_person", """{"image": "reachy/x.jpg", "person_name": "../../.."}""")]
    [InlineData("take_picture", """{"for_text_only_model": "yes please"}""")]
    [InlineData("take_picture", """{"for_text_only_model": 1e309}""")]
    public async Task WrongTypesAndMissingFields_AreErrors_AndTheServerKeepsServing(string tool, string json)
    {
        var (text, isError) = await robot.CallRawAsync(tool, json);

        Assert.True(isError, text);
        var (ok, stillError, _) = await robot.CallAsync("detect_faces", new() { ["image"] = await robot.TakePictureAsync() });
        Assert.False(stillError, ok);
    }

    [Fact]
    public async Task HugeArguments_AreRefusedOrCut()
    {
        // Looking away: the save is refused for want of a face, so the registry of the other tests stays as it is.
        await robot.LookAsync(s_away.Yaw, s_away.Pitch);
        var picture = await robot.TakePictureAsync();

        var (text, isError, _) = await robot.CallAsync("describe_image", new() { ["image"] = new string('x', 200_000), ["question"] = "?" });
        var (saved, isError2, _) = await robot.CallAsync("save_image_person", new() { ["image"] = picture, ["person_name"] = new string('z', 100_000) });

        Assert.True(isError, text);
        Assert.Contains("not a valid file name", text, StringComparison.Ordinal);
        Assert.True(isError2, saved);
        Assert.Contains("No face found", saved, StringComparison.Ordinal);
        Assert.Contains(new string('z', 64) + "'s face", saved, StringComparison.Ordinal);
        Assert.DoesNotContain(new string('z', 65), saved, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SimCameraRoute_FollowsTheHead_AndMatchesTheCameraSpecs()
    {
        await robot.LookAsync(FaceDegrees.Yaw, FaceDegrees.Pitch);
        using var response = await robot.SimHttp.GetAsync("sim/camera/frame.jpg", TestContext.Current.CancellationToken);
        var specs = (await robot.SimHttp.GetFromJsonAsync<JsonNode>("api/camera/specs", TestContext.Current.CancellationToken))!;
        using var badQuality = await robot.SimHttp.GetAsync("sim/camera/frame.jpg?quality=abc", TestContext.Current.CancellationToken);
        using var tooLow = await robot.SimHttp.GetAsync("sim/camera/frame.jpg?quality=5", TestContext.Current.CancellationToken);

        Assert.Equal("image/jpeg", response.Content.Headers.ContentType?.MediaType);
        using var frame = Cv2.ImDecode(await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken), ImreadModes.Color);
        Assert.Equal((specs["default_resolution"]!["width"]!.GetValue<int>(), specs["default_resolution"]!["height"]!.GetValue<int>()), (frame.Width, frame.Height));
        Assert.Equal(CameraModel.Generic.Fx, specs["K"]![0]![0]!.GetValue<double>());
        Assert.Equal(CameraModel.Generic.Cx, specs["K"]![0]![2]!.GetValue<double>());
        Assert.Single(vision.Detector.DetectFaces(frame));
        var header = response.Headers.GetValues("X-Head-Orientation").Single();
        var yaw = double.Parse(header.Split(';')[0].Split('=')[1], CultureInfo.InvariantCulture);
        Assert.Equal(vision.FaceDirection.Azimuth, yaw, 0.01);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, badQuality.StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, tooLow.StatusCode);
    }
}
