#!/usr/bin/python3
"""A stand-in TurtleBot for tests, on a real ROS 1 graph (Debian's rospy).

/cmd_vel (Twist, Create 3 style watchdog: a command is obeyed for 0.5 s), /odom (10 Hz, dead-reckoned),
/oakd/rgb/preview/image_raw/compressed (JPEG, 2 Hz), /camera/image_raw (raw rgb8, 2 Hz), /battery_state (1 Hz),
/is_docked (latched), /dock and /undock (std_srvs/Trigger), /slow_service (answers after 30 s), /plan_path
(nav_msgs/GetPlan; prints the tolerance and goal x it was asked for, a witness of the safety bounds), an actionlib
/dock_action (actionlib/TestAction; a goal of 1000 + n runs n tenths of a second) and the ~max_speed parameter
(re-read every second).
"""
import io
import math
import threading
import time

import actionlib
import rospy
from actionlib.msg import TestAction, TestFeedback, TestResult
from geometry_msgs.msg import Twist
from nav_msgs.msg import Odometry
from nav_msgs.srv import GetPlan, GetPlanResponse
from PIL import Image as PilImage, ImageDraw
from sensor_msgs.msg import BatteryState, CompressedImage, Image
from std_msgs.msg import Bool
from std_srvs.srv import Trigger, TriggerResponse

WATCHDOG_S = 0.5
LONG_GOAL = 1000
MAX_TURN = 1.9


class FakeTurtleBot:
    def __init__(self):
        self.lock = threading.Lock()
        self.x = self.y = self.yaw = 0.0
        self.cmd = Twist()
        self.cmd_time = 0.0
        self.docked = False
        self.battery = 0.8
        self.frame = 0
        self.max_speed = rospy.get_param("~max_speed", 0.5)
        rospy.set_param("~max_speed", self.max_speed)
        self.odom_pub = rospy.Publisher("/odom", Odometry, queue_size=10)
        self.jpeg_pub = rospy.Publisher("/oakd/rgb/preview/image_raw/compressed", CompressedImage, queue_size=2)
        self.raw_pub = rospy.Publisher("/camera/image_raw", Image, queue_size=2)
        self.battery_pub = rospy.Publisher("/battery_state", BatteryState, queue_size=2)
        self.docked_pub = rospy.Publisher("/is_docked", Bool, queue_size=1, latch=True)
        rospy.Subscriber("/cmd_vel", Twist, self.on_cmd, queue_size=10)
        rospy.Service("/dock", Trigger, lambda _: self.set_docked(True))
        rospy.Service("/undock", Trigger, lambda _: self.set_docked(False))
        rospy.Service("/slow_service", Trigger, self.slow)
        rospy.Service("/plan_path", GetPlan, self.plan)
        self.action = actionlib.SimpleActionServer("/dock_action", TestAction, self.execute, auto_start=False)
        self.action.start()
        self.docked_pub.publish(Bool(data=False))

    def on_cmd(self, msg):
        with self.lock:
            changed = (msg.linear.x, msg.angular.z) != (self.cmd.linear.x, self.cmd.angular.z)
            self.cmd = msg
            self.cmd_time = time.monotonic()
        if changed:
            # A witness for tests: each distinct command once (a stream of equal commands is one action).
            print("cmd_vel linear.x=%.4f angular.z=%.4f" % (msg.linear.x, msg.angular.z), flush=True)

    def plan(self, request):
        # A witness for tests: the values the robot side received.
        print("plan_path tolerance=%.4f goal.x=%.4f" % (request.tolerance, request.goal.pose.position.x), flush=True)
        return GetPlanResponse()

    def set_docked(self, docked):
        with self.lock:
            if self.docked == docked:
                return TriggerResponse(success=False, message="already docked" if docked else "already undocked")
            self.docked = docked
        self.docked_pub.publish(Bool(data=docked))
        return TriggerResponse(success=True, message="docked" if docked else "undocked")

    def slow(self, _):
        time.sleep(30)
        return TriggerResponse(success=True, message="finally")

    def execute(self, goal):
        if goal.goal < 0:
            self.action.set_aborted(TestResult(result=-1), "negative goal")
            return
        # A goal of 1000 + n is a long task (n tenths of a second, preemptible within 20 ms) for stop tests.
        long_task = goal.goal >= LONG_GOAL
        steps, period = (goal.goal - LONG_GOAL, 0.1) if long_task else (3, 0.3)
        for i in range(steps):
            if self.action.is_preempt_requested():
                self.action.set_preempted(TestResult(result=0), "cancelled")
                return
            self.action.publish_feedback(TestFeedback(feedback=i))
            deadline = time.monotonic() + period
            while time.monotonic() < deadline and not (long_task and self.action.is_preempt_requested()):
                time.sleep(0.02 if long_task else period)
        if self.action.is_preempt_requested():
            self.action.set_preempted(TestResult(result=0), "cancelled")
            return
        self.set_docked(True)
        self.action.set_succeeded(TestResult(result=2 * goal.goal), "docked")

    def step(self, dt):
        with self.lock:
            active = time.monotonic() - self.cmd_time <= WATCHDOG_S
            v = max(-self.max_speed, min(self.max_speed, self.cmd.linear.x)) if active else 0.0
            w = max(-MAX_TURN, min(MAX_TURN, self.cmd.angular.z)) if active else 0.0
            self.yaw += w * dt
            self.x += v * math.cos(self.yaw) * dt
            self.y += v * math.sin(self.yaw) * dt
            odom = Odometry()
            odom.header.stamp = rospy.Time.now()
            odom.header.frame_id = "odom"
            odom.child_frame_id = "base_link"
            odom.pose.pose.position.x = self.x
            odom.pose.pose.position.y = self.y
            odom.pose.pose.orientation.z = math.sin(self.yaw / 2)
            odom.pose.pose.orientation.w = math.cos(self.yaw / 2)
            odom.twist.twist.linear.x = v
            odom.twist.twist.angular.z = w
            for i in range(0, 36, 7):
                odom.pose.covariance[i] = 0.001
                odom.twist.covariance[i] = 0.001
        self.odom_pub.publish(odom)

    def camera(self):
        self.frame += 1
        image = PilImage.new("RGB", (160, 120))
        draw = ImageDraw.Draw(image)
        colours = [(255, 255, 255), (255, 255, 0), (0, 255, 255), (0, 255, 0), (255, 0, 255), (255, 0, 0), (0, 0, 255), (0, 0, 0)]
        for i, colour in enumerate(colours):
            draw.rectangle([i * 20, 0, i * 20 + 19, 89], fill=colour)
        draw.text((4, 95), "frame %d" % self.frame, fill=(255, 255, 255))
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=80)
        msg = CompressedImage(format="jpeg", data=buffer.getvalue())
        msg.header.stamp = rospy.Time.now()
        msg.header.frame_id = "oakd_rgb_camera_optical_frame"
        self.jpeg_pub.publish(msg)
        small = image.resize((32, 24))
        raw = Image(height=24, width=32, encoding="rgb8", is_bigendian=0, step=32 * 3, data=small.tobytes())
        raw.header.stamp = msg.header.stamp
        self.raw_pub.publish(raw)

    def run(self):
        rate = rospy.Rate(10)
        tick = 0
        while not rospy.is_shutdown():
            self.step(0.1)
            tick += 1
            if tick % 5 == 0:
                self.camera()
            if tick % 10 == 0:
                self.max_speed = float(rospy.get_param("~max_speed", self.max_speed))
                with self.lock:
                    self.battery = min(1.0, self.battery + 0.0005) if self.docked else max(0.0, self.battery - 0.0002)
                self.battery_pub.publish(BatteryState(percentage=self.battery, voltage=12 + 4 * self.battery,
                                                      power_supply_status=1 if self.docked else 2))
            rate.sleep()


if __name__ == "__main__":
    rospy.init_node("fake_turtlebot")
    robot = FakeTurtleBot()
    print("fake_turtlebot ready", flush=True)
    robot.run()
