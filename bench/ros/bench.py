#!/usr/bin/python3
"""Benchmark of the ROS path against a local ROS 1 graph (Debian): rosapi round trip and sustained publish rate.

Starts roscore, the stand-in TurtleBot and the test rosbridge-protocol server (tests/ros), and `rosa ros`, then:
  1. rosapi round trip straight through rosbridge (WebSocket client, /rosapi/get_time), the floor;
  2. rosapi round trip through `rosa ros` (MCP tool ping_robot over streamable HTTP), end to end and as
     measured inside the server;
  3. sustained publish rate through `rosa ros` (publish_for_durations at 50 Hz for 5 s), counted by a rospy
     subscriber, and back-to-back publish_once calls for 5 s;
  4. the resident memory of the `rosa ros` process.
Usage: bench/ros/bench.py (build first: dotnet build src/RosaOS.Cli -c Release).
"""
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ROSA = os.path.join(ROOT, "artifacts", "bin", "RosaOS.Cli", "release_linux-x64", "rosa")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


MASTER, BRIDGE, MCP = free_port(), free_port(), free_port()
HOME = tempfile.mkdtemp(prefix="rosa-bench-")
ENV = dict(os.environ, ROS_MASTER_URI="http://localhost:%d" % MASTER, ROS_HOSTNAME="localhost", ROS_HOME=HOME,
           ROS_LOG_DIR=os.path.join(HOME, "log"), PYTHONUNBUFFERED="1", ROSA_LOG_LEVEL="Warning")
os.environ.update({k: ENV[k] for k in ("ROS_MASTER_URI", "ROS_HOSTNAME", "ROS_HOME")})
procs = []


def start(args, ready=None):
    p = subprocess.Popen(args, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    procs.append(p)
    if ready:
        deadline = time.time() + 60
        for line in p.stdout:
            if ready in line:
                break
            if time.time() > deadline:
                raise RuntimeError("%s not ready" % args[0])
    return p


def stop_all():
    for p in reversed(procs):
        try:
            os.killpg(p.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    time.sleep(1)
    for p in procs:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


class Mcp:
    def __init__(self, url):
        self.url, self.session, self.next = url, None, 0
        self.call("initialize", {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}})
        self.post({"jsonrpc": "2.0", "method": "notifications/initialized"})

    def post(self, body):
        req = urllib.request.Request(self.url, json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json", "Accept": "application/json, text/event-stream"})
        if self.session:
            req.add_header("Mcp-Session-Id", self.session)
        with urllib.request.urlopen(req) as r:
            self.session = r.headers.get("Mcp-Session-Id", self.session)
            text = r.read().decode()
        for line in text.splitlines():
            if line.startswith("data: "):
                msg = json.loads(line[6:])
                if "id" in msg:
                    return msg
        return json.loads(text) if text.strip().startswith("{") else None

    def call(self, method, params):
        self.next += 1
        msg = self.post({"jsonrpc": "2.0", "id": self.next, "method": method, "params": params})
        if "error" in msg:
            raise RuntimeError(msg["error"])
        return msg["result"]

    def tool(self, name, args=None):
        result = self.call("tools/call", {"name": name, "arguments": args or {}})
        text = result["content"][0]["text"]
        if result.get("isError"):
            raise RuntimeError(text)
        return json.loads(text)


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


async def direct_rosapi(n):
    import websockets
    async with websockets.connect("ws://127.0.0.1:%d" % BRIDGE) as ws:
        times = []
        for i in range(n + 10):
            t = time.perf_counter()
            await ws.send(json.dumps({"op": "call_service", "id": "b%d" % i, "service": "/rosapi/get_time", "args": {}}))
            while json.loads(await ws.recv()).get("id") != "b%d" % i:
                pass
            if i >= 10:
                times.append((time.perf_counter() - t) * 1000)
        return times


def main():
    if not os.path.exists(ROSA):
        sys.exit("build first: dotnet build src/RosaOS.Cli -c Release")
    try:
        start(["/usr/bin/roscore", "-p", str(MASTER)], "started core service [/rosout]")
        start(["/usr/bin/python3", os.path.join(ROOT, "tests", "ros", "fake_turtlebot.py")], "fake_turtlebot ready")
        start(["/usr/bin/python3", os.path.join(ROOT, "tests", "ros", "rosbridge_lite.py"), "--port", str(BRIDGE)], "server started")
        rosa = start([ROSA, "ros", "--name", "bench", "--rosbridge", "ws://127.0.0.1:%d" % BRIDGE, "--port", str(MCP),
                      "--images-dir", HOME, "--drivers", os.path.join(HOME, "none.json")])
        for _ in range(200):
            try:
                if json.loads(urllib.request.urlopen("http://127.0.0.1:%d/health" % MCP).read()).get("connected"):
                    break
            except OSError:
                pass
            time.sleep(0.1)
        import rospy
        from std_msgs.msg import Int32
        rospy.init_node("bench", anonymous=True, disable_signals=True)
        received = []
        rospy.Subscriber("/bench_counter", Int32, lambda m: received.append(time.perf_counter()), queue_size=1000)

        direct = asyncio.run(direct_rosapi(200))
        mcp = Mcp("http://127.0.0.1:%d/mcp" % MCP)
        e2e, inside = [], []
        for i in range(110):
            t = time.perf_counter()
            r = mcp.tool("ping_robot")
            if i >= 10:
                e2e.append((time.perf_counter() - t) * 1000)
                inside.append(r["round_trip_ms"])

        mcp.tool("publish_once", {"topic": "/bench_counter", "msg_type": "std_msgs/Int32", "msg": {"data": 1}})
        time.sleep(1.5)
        received.clear()
        r = mcp.tool("publish_for_durations", {"topic": "/bench_counter", "msg_type": "std_msgs/Int32", "messages": [{"data": 7}],
                                               "durations": [5.0], "rate_hz": 50})
        time.sleep(0.5)
        stream_rate = len(received) / 5.0
        published = r["published_count"]

        received.clear()
        calls, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < 5:
            mcp.tool("publish_once", {"topic": "/bench_counter", "msg_type": "std_msgs/Int32", "msg": {"data": calls}})
            calls += 1
        elapsed = time.perf_counter() - t0
        time.sleep(0.5)
        once_received = len(received)
        rss = next(int(l.split()[1]) for l in open("/proc/%d/status" % rosa.pid) if l.startswith("VmRSS")) / 1024

        print("rosapi round trip, direct WebSocket (/rosapi/get_time, 200 calls): median %.2f ms, p95 %.2f ms" % (statistics.median(direct), pct(direct, 95)))
        print("rosapi round trip inside rosa ros (ping_robot, 100 calls):        median %.2f ms, p95 %.2f ms" % (statistics.median(inside), pct(inside, 95)))
        print("ping_robot end to end over MCP streamable HTTP (100 calls):       median %.2f ms, p95 %.2f ms" % (statistics.median(e2e), pct(e2e, 95)))
        print("publish_for_durations at 50 Hz for 5 s: %d published, %.1f msg/s received by a rospy subscriber" % (published, stream_rate))
        print("publish_once back to back for 5 s: %.1f calls/s, %d of %d received" % (calls / elapsed, once_received, calls))
        print("rosa ros resident memory after the run: %.0f MiB" % rss)
    finally:
        stop_all()


if __name__ == "__main__":
    main()
