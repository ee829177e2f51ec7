"""What the fleet bot tests share: a raw WebSocket peer sending samples with
the fleet keys of wire/fleet.h written by hand (as the agent's writer
does), and the containers and UPS it reports."""
import json
import time

from rawws import frame, next_data, open_ws


class Peer:
    def __init__(self, srv, key):
        status, self.s = open_ws(srv, key)
        if status != 101:
            raise RuntimeError(f"peer refused: {status}")
        self.ts = 0.0
        self.base = {"cpu": 10.0, "ram": 10.0, "uptime": 5000, "net_up": 1.0, "net_down": 1.0,
                     "host": {"hostname": "h1"}}

    def send(self, **kw):
        """One sample (the base's values, then kw) and its ack. Its ts, unless given, is
        the clock in ms as the agent's writer sends it: without one the server stamps
        samples that come faster than one a second at most 2 s ahead, and then below
        the latest, which the fleet rules skip."""
        self.ts = max(round(time.time(), 3), self.ts + 0.001)
        v = dict(self.base)
        v["uptime"] = 100000 + int(time.time())
        v["ts"] = self.ts
        v.update(kw)
        self.s.sendall(frame(1, json.dumps(v).encode()))
        next_data(self.s)

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass


def ctr(name, state, health=None, restarts=0):
    c = {"name": name, "engine": "docker", "state": state, "restarts": restarts, "cpu": 1.5, "mem": 1048576}
    if health:
        c["health"] = health
    return c


def ups(on_battery, charge):
    return {"source": "nut", "name": "ups", "status": "OB DISCHRG" if on_battery else "OL",
            "on_battery": on_battery, "charge": charge, "runtime": 1200, "load": 20}
