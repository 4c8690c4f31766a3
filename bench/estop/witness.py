#!/usr/bin/python3
"""Independent witness for bench/estop on the test ROS 1 graph: prints every /cmd_vel linear.x, every cancel request
on /dock_action/cancel and every result on /dock_action/result, each with the CLOCK_MONOTONIC time (ns) it arrived
(the clock .NET's Stopwatch reads on Linux, so the benchmark can subtract its own timestamps)."""
import time

import rospy
from actionlib.msg import TestActionResult
from actionlib_msgs.msg import GoalID
from geometry_msgs.msg import Twist


def say(line):
    print(line, flush=True)


rospy.init_node("estop_witness", anonymous=True)
# tcp_nodelay: Nagle would add up to 40 ms to what is measured.
rospy.Subscriber("/cmd_vel", Twist, lambda m: say("cmd_vel %d %.4f" % (time.monotonic_ns(), m.linear.x)), queue_size=1000, tcp_nodelay=True)
rospy.Subscriber("/dock_action/cancel", GoalID, lambda m: say("cancel %d %s" % (time.monotonic_ns(), m.id)), queue_size=100, tcp_nodelay=True)
rospy.Subscriber("/dock_action/result", TestActionResult,
                 lambda m: say("result %d %d" % (time.monotonic_ns(), m.status.status)), queue_size=100, tcp_nodelay=True)
say("witness ready")
rospy.spin()
