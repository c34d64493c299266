#!/usr/bin/env python3
"""A stand-in load balancer for trying the example: pools of members over HTTP, in memory.

    python3 lb.py [PORT]            (default 8480; listens on 127.0.0.1)

    GET    /pools/POOL/members      JSON list of {"id", "name", "address"}
    POST   /pools/POOL/members      form fields name, address; answers the member (idempotent)
    DELETE /pools/POOL/members/ID   removes it (404 when there is no such member)

Every change is printed with its time, so a rolling deploy shows which host was out when.
"""
import itertools
import json
import sys
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

POOLS = {}
IDS = itertools.count(1)


class Handler(BaseHTTPRequestHandler):
    def parts(self):
        parts = self.path.strip("/").split("/")
        if len(parts) < 3 or parts[0] != "pools" or parts[2] != "members":
            return None
        return parts[1], parts[3] if len(parts) > 3 else None

    def answer(self, status, value):
        body = json.dumps(value).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        parts = self.parts()
        if parts is None or parts[1] is not None:
            return self.answer(404, {"error": "no such path"})
        self.answer(200, POOLS.get(parts[0], []))

    def do_POST(self):
        parts = self.parts()
        if parts is None or parts[1] is not None:
            return self.answer(404, {"error": "no such path"})
        length = int(self.headers.get("Content-Length", 0))
        form = urllib.parse.parse_qs(self.rfile.read(length).decode())
        name, address = form.get("name", [""])[0], form.get("address", [""])[0]
        if not name or not address:
            return self.answer(400, {"error": "name and address are required"})
        pool = POOLS.setdefault(parts[0], [])
        for member in pool:
            if member["address"] == address:
                return self.answer(200, member)
        member = {"id": "m%d" % next(IDS), "name": name, "address": address}
        pool.append(member)
        log("added", parts[0], member)
        self.answer(201, member)

    def do_DELETE(self):
        parts = self.parts()
        if parts is None or parts[1] is None:
            return self.answer(404, {"error": "no such path"})
        pool = POOLS.get(parts[0], [])
        for member in pool:
            if member["id"] == parts[1]:
                pool.remove(member)
                log("removed", parts[0], member)
                return self.answer(200, member)
        self.answer(404, {"error": "no such member"})

    def log_message(self, *args):
        pass


def log(what, pool, member):
    stamp = time.strftime("%H:%M:%S", time.localtime()) + ".%03d" % (time.time() % 1 * 1000)
    print(f"{stamp} {what} {member['name']} ({member['address']}) pool {pool}", flush=True)


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8480
    print(f"load balancer on http://127.0.0.1:{port}", flush=True)
    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
