"""Servers on loopback for the remote-read tests: an HTTP server that honours (or
ignores) Range requests and counts what it serves, and moto's S3 server.

Both bind 127.0.0.1 on a free port, serve files the tests write, and stop when
the test's fixture ends; nothing leaves the machine.
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


@dataclass
class Log:
    """What a server was asked for: one (method, path, start, stop) per request."""

    requests: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, *entry) -> None:
        with self.lock:
            self.requests.append(entry)

    @property
    def gets(self) -> list:
        return [r for r in self.requests if r[0] == "GET"]

    def bytes_sent(self) -> int:
        return sum(r[3] - r[2] for r in self.gets)

    def clear(self) -> None:
        with self.lock:
            self.requests.clear()


class RangeServer:
    """Serves the files of ``root`` at ``http://127.0.0.1:PORT/NAME``.

    ``ranges=False`` answers every GET with the whole file (status 200), as a
    server without Range support does.  ``drop`` is a number of GETs to answer
    by closing the connection instead (a dropped connection)."""

    def __init__(self, root: Path, *, ranges: bool = True, drop: int = 0) -> None:
        self.root, self.ranges, self.drop, self.log = Path(root), ranges, drop, Log()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # else small answers wait out delayed ACKs (40 ms)

            def log_message(self, *args) -> None:  # quiet
                pass

            def _file(self) -> Path | None:
                path = outer.root / self.path.lstrip("/").split("?")[0]
                return path if path.is_file() else None

            def do_HEAD(self) -> None:
                path = self._file()
                outer.log.add("HEAD", self.path, 0, 0)
                if path is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(path.stat().st_size))
                if outer.ranges:
                    self.send_header("Accept-Ranges", "bytes")
                self.end_headers()

            def do_GET(self) -> None:
                path = self._file()
                if path is None:
                    outer.log.add("GET", self.path, 0, 0)
                    self.send_error(404)
                    return
                size = path.stat().st_size
                start, stop, status = 0, size, 200
                m = re.match(r"bytes=(\d+)-(\d*)", self.headers.get("Range", ""))
                if m and outer.ranges:
                    start = int(m.group(1))
                    stop = min(size, int(m.group(2)) + 1) if m.group(2) else size
                    status = 206
                with outer.log.lock:
                    dropping = outer.drop > 0
                    if dropping:
                        outer.drop -= 1
                if dropping:
                    outer.log.add("DROP", self.path, start, start)
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                outer.log.add("GET", self.path, start, stop)
                self.send_response(status)
                self.send_header("Content-Length", str(stop - start))
                if status == 206:
                    self.send_header("Content-Range", f"bytes {start}-{stop - 1}/{size}")
                self.end_headers()
                with open(path, "rb") as f:
                    f.seek(start)
                    left = stop - start
                    while left:
                        chunk = f.read(min(left, 1 << 20))
                        try:
                            self.wfile.write(chunk)
                        except (BrokenPipeError, ConnectionResetError):
                            return  # the client had what it wanted
                        left -= len(chunk)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/{name}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class S3Server:
    """moto's S3 server on loopback with one bucket; ``put`` uploads a local file."""

    def __init__(self, bucket: str = "ramps-test") -> None:
        from moto.server import ThreadedMotoServer

        for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            os.environ.setdefault(key, "testing")
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.server.start()
        host, port = self.server.get_host_and_port()
        self.endpoint = f"http://{host}:{port}"
        self.bucket = bucket
        import boto3

        self.client = boto3.client("s3", endpoint_url=self.endpoint, region_name="us-east-1",
                                   aws_access_key_id="testing", aws_secret_access_key="testing")
        self.client.create_bucket(Bucket=bucket)

    @property
    def storage_options(self) -> dict:
        return {"key": "testing", "secret": "testing",
                "client_kwargs": {"endpoint_url": self.endpoint, "region_name": "us-east-1"}}

    def put(self, path: Path, key: str | None = None) -> str:
        key = key or Path(path).name
        self.client.upload_file(str(path), self.bucket, key)
        return f"s3://{self.bucket}/{key}"

    def close(self) -> None:
        self.server.stop()
