using System.ComponentModel;
using ModelContextProtocol.Server;

namespace RosaOS.Mcp.Ros;

/// <summary>
/// ros-mcp-server's test prompts: step-by-step guides for trying this server's tools on the robot it serves,
/// written for rosaOS (the robot's address is fixed by configuration; writes obey its safety lists).
/// </summary>
[McpServerPromptType]
public sealed class RosPrompts(RobotSession robot)
{
    [McpServerPrompt(Name = "test-server-tools"), Description("An overview of how to try this ROS server's tools.")]
    public string TestServerTools()
        => $"""
        # Trying the ROS tools of {robot.Options.Name}
        1. connect_to_robot() then detect_ros_version(): the robot answers and says ROS 1 or 2.
        2. Discover: get_topics(), get_services(), get_nodes(), get_actions() (or read the ros-mcp://ros-metadata/all resource).
        3. Read: subscribe_once(topic=...) on a sensor topic; capture_camera_image() for the camera ({robot.Options.CameraTopic}),
           then analyze_previously_received_image() to see it.
        4. Parameters: get_parameters(), has_parameter(name), get_parameter_details(name).
        5. Move (only what this robot's safety lists allow; stop_robot ends every motion): publish_for_durations on the velocity topic,
           or call_service / send_action_goal as its spec says (get_verified_robot_spec(name="{robot.Options.Name}")).
        """;

    [McpServerPrompt(Name = "test-connection-tools"), Description("How to check the connection to the robot.")]
    public string TestConnectionTools()
        => $"""
        # Connection
        - connect_to_robot(): reports connected, the rosbridge address ({robot.Options.Rosbridge}), ROS version and round trip.
        - ping_robot(): one rosapi call; round_trip_ms and reconnects tell a slow link from a lost one.
        - detect_ros_version(): 1 or 2 (type names are pkg/Type on ROS 1, pkg/msg/Type on ROS 2).
        """;

    [McpServerPrompt(Name = "test-topics-tools"), Description("How to try the topic tools.")]
    public static string TestTopicsTools()
        => """
        # Topics
        - get_topics(), get_topic_type(topic), get_topic_details(topic), get_message_details(message_type).
        - subscribe_once(topic) and subscribe_for_duration(topic, duration): image messages are saved to files, never returned as base64.
        - publish_once / publish_for_durations: Twist velocities are clamped to the robot's limits; motion needs publish_for_durations.
        """;

    [McpServerPrompt(Name = "test-services-tools"), Description("How to try the service tools.")]
    public static string TestServicesTools()
        => """
        # Services
        - get_services(), get_service_type(service), get_service_details(service) for the request fields.
        - call_service(service_name, service_type, request, timeout): a timeout means no answer in time, not that nothing happened.
        """;

    [McpServerPrompt(Name = "test-parameters-tools"), Description("How to try the parameter tools.")]
    public static string TestParametersTools()
        => """
        # Parameters
        - get_parameters() lists names; has_parameter(name) and get_parameter_details(name) read without changing anything.
        - get_parameter(name); set_parameter(name, value) and delete_parameter(name) only where the robot's safety lists allow.
        """;

    [McpServerPrompt(Name = "test-actions-tools"), Description("How to try the action tools.")]
    public static string TestActionsTools()
        => """
        # Actions
        - get_actions(), get_action_details(action).
        - send_action_goal(action_name, action_type, goal, timeout) returns goal_id; get_action_status() and cancel_action_goal(action_name, goal_id).
        """;

    [McpServerPrompt(Name = "test-nodes-tools"), Description("How to try the node tools.")]
    public static string TestNodesTools()
        => """
        # Nodes
        - get_nodes(), then get_node_details(node): what it publishes, subscribes and serves.
        """;
}
