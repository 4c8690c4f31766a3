using System.Text.Json.Nodes;

namespace RosaOS.Simulator.Tests;

/// <summary>The daemon's REST surface answers with the real daemon's shapes and values.</summary>
[Collection("motion")]
public sealed class DaemonApiTests(MotionSim sim)
{
    [Fact]
    public async Task Status_IsMockupSimShaped()
    {
        var status = (await sim.GetJsonAsync("api/daemon/status"))!.AsObject();

        Assert.Equal(
            ["type", "robot_name", "state", "wireless_version", "desktop_app_daemon", "simulation_enabled", "mockup_sim_enabled", "no_media",
             "media_released", "camera_specs_name", "backend_status", "error", "wlan_ip", "version", "hardware_id", "face_target"],
            status.Select(p => p.Key));
        Assert.Equal("daemon_status", status["type"]!.GetValue<string>());
        Assert.Equal("running", status["state"]!.GetValue<string>());
        Assert.True(status["mockup_sim_enabled"]!.GetValue<bool>());
        Assert.False(status["simulation_enabled"]!.GetValue<bool>());
        Assert.Equal("generic", status["camera_specs_name"]!.GetValue<string>());
        Assert.Equal("enabled", status["backend_status"]!["motor_control_mode"]!.GetValue<string>());
        Assert.False(status["face_target"]!["detected"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Health_AnswersForRosaStatus()
    {
        var health = await sim.GetJsonAsync("health");
        Assert.Equal("ok", health!["status"]!.GetValue<string>());
        Assert.Equal("sim", health["service"]!.GetValue<string>());
        Assert.Equal("running", health["daemon_state"]!.GetValue<string>());
        var (status, body, _) = await sim.PostJsonAsync("health-check", null);
        Assert.Equal(200, status);
        Assert.Equal("ok", body!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task FullState_DefaultsAndFlags()
    {
        await sim.WaitIdleAsync();
        var full = (await sim.GetJsonAsync("api/state/full"))!.AsObject();
        Assert.Equal(["control_mode", "head_pose", "head_joints", "body_yaw", "antennas_position", "timestamp", "passive_joints", "doa"], full.Select(p => p.Key));
        Assert.Equal("enabled", full["control_mode"]!.GetValue<string>());
        Assert.Null(full["head_joints"]);
        Assert.Null(full["doa"]);
        Assert.EndsWith("Z", full["timestamp"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(6, full["head_pose"]!.AsObject().Count);

        var withJoints = (await sim.GetJsonAsync("api/state/full?with_head_joints=true&use_pose_matrix=true&with_control_mode=false&with_antenna_positions=0"))!;
        Assert.Equal(7, withJoints["head_joints"]!.AsArray().Count);
        Assert.Equal(16, withJoints["head_pose"]!["m"]!.AsArray().Count);
        Assert.Null(withJoints["control_mode"]);
        Assert.Null(withJoints["antennas_position"]);
    }

    [Fact]
    public async Task StateRoutes_AgreeWithEachOther()
    {
        await sim.WaitIdleAsync();
        var pose = (await sim.GetJsonAsync("api/state/present_head_pose"))!;
        var matrix = (await sim.GetJsonAsync("api/state/present_head_pose?use_pose_matrix=true"))!["m"]!.AsArray().Select(v => v!.GetValue<double>()).ToArray();
        var yaw = pose["yaw"]!.GetValue<double>();
        Assert.Equal(Math.Atan2(matrix[4], matrix[0]), yaw, 0.002);
        Assert.Equal(matrix[3], pose["x"]!.GetValue<double>(), 2e-4);
        var bodyYaw = (await sim.GetJsonAsync("api/state/present_body_yaw"))!.GetValue<double>();
        var antennas = (await sim.GetJsonAsync("api/state/present_antenna_joint_positions"))!.AsArray();
        Assert.Equal(2, antennas.Count);
        Assert.True(Math.Abs(bodyYaw) < Math.PI);
        Assert.Null(await sim.GetJsonAsync("api/state/doa"));
    }

    [Fact]
    public async Task MotorsKinematicsVolumeMediaCamera()
    {
        Assert.Equal("enabled", (await sim.GetJsonAsync("api/motors/status"))!["mode"]!.GetValue<string>());
        var (status, body, _) = await sim.PostJsonAsync("api/motors/set_mode/disabled", null);
        Assert.Equal(200, status);
        Assert.Equal("motors changed to MotorControlMode.Disabled mode", body!["status"]!.GetValue<string>());
        Assert.Equal("disabled", (await sim.GetJsonAsync("api/motors/status"))!["mode"]!.GetValue<string>());
        (status, _, _) = await sim.PostJsonAsync("api/motors/set_mode/enabled", null);
        Assert.Equal(200, status);
        Assert.Equal("enabled", (await sim.GetJsonAsync("api/daemon/status"))!["backend_status"]!["motor_control_mode"]!.GetValue<string>());

        var info = (await sim.GetJsonAsync("api/kinematics/info"))!["info"]!;
        Assert.Equal("AnalyticalKinematics", info["engine"]!.GetValue<string>());
        Assert.False(info["collision check"]!.GetValue<bool>());

        (status, body, _) = await sim.PostJsonAsync("api/volume/set", """{"volume": 35}""");
        Assert.Equal(200, status);
        Assert.Equal(35, body!["volume"]!.GetValue<int>());
        Assert.Equal(35, (await sim.GetJsonAsync("api/volume/current"))!["volume"]!.GetValue<int>());

        var media = (await sim.GetJsonAsync("api/media/status"))!;
        // No SDK media (WebRTC/IPC) is served, so none is reported (SdkParityTests).
        Assert.False(media["available"]!.GetValue<bool>());
        Assert.True(media["no_media"]!.GetValue<bool>());

        var camera = (await sim.GetJsonAsync("api/camera/specs"))!;
        Assert.Equal("generic", camera["name"]!.GetValue<string>());
        Assert.Equal(1280, camera["default_resolution"]!["width"]!.GetValue<int>());
        Assert.Equal(3, camera["K"]!.AsArray().Count);
    }

    [Fact]
    public async Task RobotName_RenameIsReportedInStatus()
    {
        var (status, body, _) = await sim.PostJsonAsync("api/daemon/robot-name", """{"name":"desk_bot"}""");
        Assert.Equal(200, status);
        Assert.Equal("desk_bot", body!["name"]!.GetValue<string>());
        Assert.Equal("desk_bot", (await sim.GetJsonAsync("api/daemon/status"))!["robot_name"]!.GetValue<string>());
        (status, _, _) = await sim.PostJsonAsync("api/daemon/robot-name", """{"name":"reachy_mini"}""");
        Assert.Equal(200, status);
    }
}
