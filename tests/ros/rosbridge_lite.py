#!/usr/bin/python3
"""A rosbridge v2 protocol server for tests, on a real ROS 1 graph (Debian's rospy + python3-websockets).

No rosbridge is packaged for Debian, so the tests bring this one. It answers as rosbridge_suite's ros1 branch
does in the recorded transcripts (../../../shared/data/rosbridge-transcripts): no status op and no acks,
failures only as service_response result:false with a string, pkg/msg/Type rejected silently, server frames
with no id on publish, fragments with a float total and floor(total) pieces, rosapi answered in-process
(JSON-encoded params, no get_ros_version). It also maps the ROS 2 action ops onto actionlib so the
TurtleBot4 dock path can be exercised on ROS 1.
"""
import argparse
import asyncio
import base64
import itertools
import json
import threading
import time

import genpy
import rosgraph
import roslib.message
import rospy
import rosservice
import websockets

PRIMITIVE_INT = {"int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64", "byte", "char"}
PRIMITIVE_FLOAT = {"float32", "float64"}


def log(text):
    print("rosbridge_lite: " + text, flush=True)


def msg_class(type_name):
    if not isinstance(type_name, str) or type_name.count("/") != 1:
        return None  # the ros1 rosbridge rejects pkg/msg/Type
    try:
        return roslib.message.get_message_class(type_name)
    except Exception:
        return None


def to_dict(value, slot_type=None):
    if isinstance(value, genpy.Message):
        return {name: to_dict(getattr(value, name), t) for name, t in zip(value.__slots__, value._slot_types)}
    if isinstance(value, (genpy.Time, genpy.Duration)):
        return {"secs": value.secs, "nsecs": value.nsecs}
    if isinstance(value, bytes) and slot_type is not None and slot_type.startswith(("uint8[", "char[")):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, (list, tuple)):
        inner = slot_type.split("[")[0] if slot_type else None
        if inner in ("uint8", "char") and all(isinstance(v, int) for v in value):
            return base64.b64encode(bytes(value)).decode("ascii")
        return [to_dict(v, inner) for v in value]
    return value


def check_primitive(base, value, path):
    if base in PRIMITIVE_FLOAT:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError("%s requires a %s for field %s, but got a %s" % ("message", base, path, type(value)))
        return float(value)
    if base in PRIMITIVE_INT:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError("message requires a %s for field %s, but got a %s" % (base, path, type(value)))
        return value
    if base == "bool":
        if not isinstance(value, bool):
            raise TypeError("message requires a bool for field %s, but got a %s" % (path, type(value)))
        return value
    if base == "string":
        if not isinstance(value, str):
            raise TypeError("message requires a string for field %s, but got a %s" % (path, type(value)))
        return value
    raise TypeError("unsupported field type %s" % base)


def from_dict(cls, data, path=""):
    msg = cls()
    if data is None:
        return msg
    if not isinstance(data, dict):
        raise TypeError("%s expects an object, got %s" % (msg._type, type(data)))
    slots = dict(zip(msg.__slots__, msg._slot_types))
    for key, value in data.items():
        if key not in slots:
            raise TypeError("Message type %s does not have a field %s" % (msg._type, key))
        setattr(msg, key, convert(slots[key], value, path + key))
    return msg


def convert(slot_type, value, path):
    if slot_type in ("time", "duration"):
        cls = rospy.Time if slot_type == "time" else rospy.Duration
        if not isinstance(value, dict):
            raise TypeError("field %s requires {secs, nsecs}" % path)
        return cls(int(value.get("secs", 0)), int(value.get("nsecs", 0)))
    if "[" in slot_type:
        base = slot_type.split("[")[0]
        if base in ("uint8", "char") and isinstance(value, str):
            return base64.b64decode(value)
        if not isinstance(value, list):
            raise TypeError("field %s requires an array" % path)
        return [convert(base, v, "%s[%d]" % (path, i)) for i, v in enumerate(value)]
    if slot_type in PRIMITIVE_INT or slot_type in PRIMITIVE_FLOAT or slot_type in ("bool", "string"):
        return check_primitive(slot_type, value, path)
    if slot_type == "Header":
        slot_type = "std_msgs/Header"
    cls = msg_class(slot_type)
    if cls is None:
        raise TypeError("unknown type %s" % slot_type)
    return from_dict(cls, value, path + ".")


def typedefs(type_name, root=None):
    out, seen, todo = [], set(), [type_name]
    while todo:
        name = todo.pop(0)
        if name in seen:
            continue
        seen.add(name)
        if name in ("time", "duration"):
            out.append({"type": name, "fieldnames": ["secs", "nsecs"], "fieldtypes": ["int32", "int32"],
                        "fieldarraylen": [-1, -1], "examples": ["0", "0"], "constnames": [], "constvalues": []})
            continue
        cls = root if root is not None and name == type_name else msg_class(name)
        if cls is None:
            continue
        fieldtypes, arraylens, examples = [], [], []
        for t in cls._slot_types:
            base = t.split("[")[0]
            base = "std_msgs/Header" if base == "Header" else base
            fieldtypes.append(base)
            if "[" in t:
                n = t.split("[")[1].rstrip("]")
                arraylens.append(int(n) if n else 0)
                examples.append("[]")
            else:
                arraylens.append(-1)
                examples.append("{}" if "/" in base or base in ("time", "duration") else ("0.0" if base in PRIMITIVE_FLOAT else ("False" if base == "bool" else ("" if base == "string" else "0"))))
            if "/" in base or base in ("time", "duration"):
                todo.append(base)
        consts = [c for c in dir(cls) if c.isupper() and not c.startswith("_")]
        out.append({"type": cls._type, "fieldnames": list(cls.__slots__), "fieldtypes": fieldtypes,
                    "fieldarraylen": arraylens, "examples": examples, "constnames": consts,
                    "constvalues": [str(getattr(cls, c)) for c in consts]})
    return out


class RosApi:
    def __init__(self):
        self.master = rosgraph.Master("/rosapi")

    def state(self):
        return self.master.getSystemState()

    def call(self, name, args):
        pubs, subs, srvs = self.state()
        if name == "topics":
            types = dict(self.master.getTopicTypes())
            topics = sorted(set(t for t, _ in pubs) | set(t for t, _ in subs))
            return {"topics": topics, "types": [types.get(t, "") for t in topics]}
        if name == "topic_type":
            return {"type": dict(self.master.getTopicTypes()).get(args["topic"], "")}
        if name == "topics_for_type":
            return {"topics": [t for t, ty in self.master.getTopicTypes() if ty == args["type"]]}
        if name == "publishers":
            return {"publishers": next((n for t, n in pubs if t == args["topic"]), [])}
        if name == "subscribers":
            return {"subscribers": next((n for t, n in subs if t == args["topic"]), [])}
        if name == "services":
            return {"services": sorted(s for s, _ in srvs)}
        if name == "service_type":
            return {"type": rosservice.get_service_type(args["service"]) or ""}
        if name == "service_node":
            return {"node": rosservice.get_service_node(args["service"]) or ""}
        if name == "service_providers":
            return {"providers": [rosservice.get_service_node(s) for s, _ in srvs if rosservice.get_service_type(s) == args["type"]]}
        if name in ("service_request_details", "service_response_details"):
            srv = roslib.message.get_service_class(args["type"])
            if srv is None:
                return {"typedefs": []}
            cls = srv._request_class if name == "service_request_details" else srv._response_class
            return {"typedefs": typedefs(cls._type, cls)}
        if name == "message_details":
            return {"typedefs": typedefs(args["type"])}
        if name == "nodes":
            nodes = set()
            for group in (pubs, subs, srvs):
                for _, members in group:
                    nodes.update(members)
            return {"nodes": sorted(nodes)}
        if name == "node_details":
            node = args["node"]
            return {"subscribing": [t for t, n in subs if node in n], "publishing": [t for t, n in pubs if node in n],
                    "services": [s for s, n in srvs if node in n]}
        if name == "action_servers":
            return {"action_servers": sorted(t[:-5] for t, ty in self.master.getTopicTypes()
                                             if t.endswith("/goal") and ty.endswith("ActionGoal"))}
        if name == "get_param":
            default = json.loads(args["default"]) if args.get("default") else None
            return {"value": json.dumps(rospy.get_param(args["name"], default))}
        if name == "set_param":
            rospy.set_param(args["name"], json.loads(args["value"]))
            return {}
        if name == "has_param":
            return {"exists": rospy.has_param(args["name"])}
        if name == "delete_param":
            if rospy.has_param(args["name"]):
                rospy.delete_param(args["name"])
            return {}
        if name == "get_param_names":
            return {"names": rospy.get_param_names()}
        if name == "get_time":
            now = rospy.get_rostime()
            return {"time": {"secs": now.secs, "nsecs": now.nsecs}}
        raise LookupError("Service /rosapi/%s does not exist" % name)


class Connection:
    ids = itertools.count(1)

    def __init__(self, ws, loop, rosapi):
        self.ws = ws
        self.loop = loop
        self.rosapi = rosapi
        self.out = asyncio.Queue(maxsize=1000)
        self.subs = {}  # topic -> [Subscriber, throttle_ms, last_time, ids]
        self.pubs = {}
        self.services = {}
        self.pending = {}  # service_request id -> (event, holder)
        self.goals = {}  # goal id -> actionlib publisher bundle
        self.fragment_size = None
        self.name = "client%d" % next(Connection.ids)

    def send(self, frame):
        """Thread-safe: queue a frame (dict) for this client, fragmenting as the real server does."""
        text = json.dumps(frame, separators=(",", ":")).replace("/", "\\/")
        size = self.fragment_size
        if size and len(text) > size:
            total = (len(text) - 1) / size + 1  # a float, as in rosbridge_suite
            frag_id = frame.get("id", 0) if frame.get("op") != "publish" else 0
            frames = [json.dumps({"op": "fragment", "id": frag_id, "data": text[i * size:(i + 1) * size], "num": i, "total": total})
                      for i in range(int(total))]
        else:
            frames = [text]
        for f in frames:
            self.loop.call_soon_threadsafe(self._put, f)

    def _put(self, text):
        if self.out.full():
            self.out.get_nowait()  # a slow client loses the oldest frame, never blocks ROS
        self.out.put_nowait(text)

    async def pump(self):
        while True:
            text = await self.out.get()
            await self.ws.send(text)

    def handle(self, frame):
        op = frame.get("op")
        handler = getattr(self, "op_" + str(op), None)
        if handler is None:
            log("Unknown operation: %s" % op)
            return
        try:
            handler(frame)
        except Exception as error:  # the real server only logs; the client sees silence
            log("%s: %s" % (op, error))

    def op_advertise(self, f):
        cls = msg_class(f["type"])
        if cls is None:
            raise TypeError("%s is not a valid type string" % f["type"])
        if f["topic"] not in self.pubs:
            self.pubs[f["topic"]] = rospy.Publisher(f["topic"], cls, queue_size=f.get("queue_size", 100), latch=f.get("latch", False))

    def op_unadvertise(self, f):
        pub = self.pubs.pop(f["topic"], None)
        if pub is not None:
            pub.unregister()

    def op_publish(self, f):
        pub = self.pubs.get(f["topic"])
        if pub is None:
            type_name = dict(self.rosapi.master.getTopicTypes()).get(f["topic"])
            if not type_name:
                raise LookupError("cannot infer topic type for topic %s" % f["topic"])
            self.op_advertise({"topic": f["topic"], "type": type_name})
            pub = self.pubs[f["topic"]]
        pub.publish(from_dict(pub.data_class, f.get("msg", {})))

    def op_subscribe(self, f):
        topic = f["topic"]
        for key in ("throttle_rate", "queue_length", "fragment_size"):
            if key in f and not isinstance(f[key], int):
                raise TypeError("%s must be an int" % key)
        if f.get("fragment_size"):
            self.fragment_size = f["fragment_size"]  # connection-wide and sticky, as observed
        type_name = f.get("type") or dict(self.rosapi.master.getTopicTypes()).get(topic)
        cls = msg_class(type_name)
        if cls is None:
            raise TypeError("%s is not a valid type string" % type_name)
        throttle = f.get("throttle_rate", 0)
        if topic in self.subs:
            entry = self.subs[topic]
            entry[1] = min(entry[1], throttle)
            entry[3].add(f.get("id"))
            return
        entry = [None, throttle, 0.0, {f.get("id")}]

        def deliver(msg, topic=topic, entry=entry):
            now = time.monotonic()
            if entry[1] and (now - entry[2]) * 1000 < entry[1]:
                return
            entry[2] = now
            self.send({"op": "publish", "topic": topic, "msg": to_dict(msg)})

        entry[0] = rospy.Subscriber(topic, cls, deliver, queue_size=max(1, f.get("queue_length", 1)))
        self.subs[topic] = entry

    def op_unsubscribe(self, f):
        entry = self.subs.get(f["topic"])
        if entry is None:
            return
        entry[3].discard(f.get("id")) if f.get("id") is not None else entry[3].clear()
        if not entry[3]:
            entry[0].unregister()
            del self.subs[f["topic"]]

    def op_call_service(self, f):
        service = f["service"]
        threading.Thread(target=self.call_service, args=(f, service), daemon=True).start()

    def call_service(self, f, service):
        response = {"op": "service_response", "service": service}
        if "id" in f:
            response["id"] = f["id"]
        args = f.get("args") or {}
        try:
            if service.startswith("/rosapi/"):
                if isinstance(args, list):
                    args = {"topic": args[0]} if args else {}
                if service == "/rosapi/topic_type" and not isinstance(args.get("topic"), str):
                    raise TypeError("rosapi/TopicTypeRequest message requires a string for field topic, but got a %s" % type(args.get("topic")))
                values = self.rosapi.call(service[len("/rosapi/"):], args)
            else:
                srv = rosservice.get_service_class_by_name(service)
                request = from_dict(srv._request_class, args if isinstance(args, dict) else {})
                proxy = rospy.ServiceProxy(service, srv)
                values = to_dict(proxy(request))
            response.update({"values": values, "result": True})
        except rosservice.ROSServiceException:
            response.update({"values": "Service %s does not exist" % service, "result": False})
        except Exception as error:
            text = str(error)
            response.update({"values": text if text else repr(error), "result": False})
        self.send(response)

    def op_advertise_service(self, f):
        service, type_name = f["service"], f["type"]
        srv = roslib.message.get_service_class(type_name)
        if srv is None:
            raise TypeError("%s is not a valid service type" % type_name)
        counter = itertools.count(1)

        def handler(request, service=service, srv=srv):
            call_id = "service_request:%s:%d" % (service, next(counter))
            done = threading.Event()
            holder = {}
            self.pending[call_id] = (done, holder)
            self.send({"op": "call_service", "id": call_id, "service": service, "args": to_dict(request)})
            if not done.wait(30):
                raise rospy.ServiceException("websocket client did not answer")
            return from_dict(srv._response_class, holder.get("values") or {})

        self.services[service] = rospy.Service(service, srv, handler)

    def op_unadvertise_service(self, f):
        svc = self.services.pop(f["service"], None)
        if svc is not None:
            svc.shutdown()

    def op_service_response(self, f):
        waiter = self.pending.pop(str(f.get("id")), None)
        if waiter is not None:
            waiter[1]["values"] = f.get("values")
            waiter[0].set()

    # ROS 2 action ops, mapped onto actionlib topics (the TurtleBot4 dock path on a ROS 1 graph).
    def op_send_action_goal(self, f):
        import actionlib_msgs.msg
        action, action_type, goal_id = f["action"], f["action_type"], str(f["id"])
        parts = action_type.split("/")
        base = "%s/%s" % (parts[0], parts[-1])
        goal_cls, result_cls, feedback_cls = (msg_class(base + s) for s in ("ActionGoal", "ActionResult", "ActionFeedback"))
        if goal_cls is None:
            self.send({"op": "action_result", "id": goal_id, "action": action, "values": "unknown action type %s" % action_type, "status": 0, "result": False})
            return
        bundle = {"done": False}

        def on_feedback(msg):
            if msg.status.goal_id.id == goal_id and f.get("feedback"):
                self.send({"op": "action_feedback", "id": goal_id, "action": action, "values": to_dict(msg.feedback)})

        def on_result(msg):
            if msg.status.goal_id.id != goal_id or bundle["done"]:
                return
            bundle["done"] = True
            status = {3: 4, 2: 5, 8: 5, 4: 6, 5: 6}.get(msg.status.status, 0)
            self.send({"op": "action_result", "id": goal_id, "action": action, "values": to_dict(msg.result), "status": status, "result": status == 4})
            for s in bundle["subs"]:
                s.unregister()

        bundle["subs"] = [rospy.Subscriber(action + "/feedback", feedback_cls, on_feedback), rospy.Subscriber(action + "/result", result_cls, on_result)]
        bundle["goal_pub"] = rospy.Publisher(action + "/goal", goal_cls, queue_size=10)
        bundle["cancel_pub"] = rospy.Publisher(action + "/cancel", actionlib_msgs.msg.GoalID, queue_size=10)
        self.goals[goal_id] = bundle

        def start():
            time.sleep(1.0)  # a new ROS 1 publisher needs a moment before the server hears it
            message = goal_cls()
            message.goal_id.id = goal_id
            message.goal = from_dict(msg_class(base + "Goal"), f.get("args") or {})
            bundle["goal_pub"].publish(message)

        threading.Thread(target=start, daemon=True).start()

    def op_cancel_action_goal(self, f):
        import actionlib_msgs.msg
        bundle = self.goals.get(str(f["id"]))
        if bundle is not None:
            bundle["cancel_pub"].publish(actionlib_msgs.msg.GoalID(id=str(f["id"])))

    def close(self):
        for entry in self.subs.values():
            entry[0].unregister()
        for pub in self.pubs.values():
            pub.unregister()
        for svc in self.services.values():
            svc.shutdown()
        for bundle in self.goals.values():
            for s in bundle["subs"]:
                s.unregister()


async def serve(port):
    loop = asyncio.get_running_loop()
    rosapi = RosApi()

    async def handler(ws, path=None):
        conn = Connection(ws, loop, rosapi)
        log("client connected: %s" % conn.name)
        pump = asyncio.ensure_future(conn.pump())
        try:
            async for text in ws:
                if isinstance(text, bytes):
                    continue
                try:
                    frame = json.loads(text)
                except ValueError:
                    log("not JSON: %.80s" % text)
                    continue
                if not isinstance(frame, dict) or "op" not in frame:
                    log("frame without op")
                    continue
                conn.handle(frame)
        except websockets.ConnectionClosed:
            pass
        finally:
            pump.cancel()
            conn.close()
            log("client disconnected: %s" % conn.name)

    async with websockets.serve(handler, "127.0.0.1", port, max_size=64 * 1024 * 1024, ping_interval=None) as server:
        # Port 0 binds a port the OS chooses: the line reports the one it got.
        log("Rosbridge WebSocket server started on port %d" % server.sockets[0].getsockname()[1])
        await asyncio.Future()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=9090)
    options = parser.parse_args(rospy.myargv()[1:])
    rospy.init_node("rosbridge_websocket", disable_signals=True)
    asyncio.run(serve(options.port))
