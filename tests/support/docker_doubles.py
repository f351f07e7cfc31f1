"""Stand-ins for Docker that cirr-verify's tests and the node scripts'
tests share: a TEST DOUBLE of the engine's image API on a unix socket,
and a one-layer docker-archive made by the project's image builder."""
import io
import json
import os
import socket
import sys
import tarfile
import threading

from tests.support.paths import REPO

sys.path.insert(0, os.path.join(REPO, "rootfs"))
import archive  # noqa: E402  (the image builder's docker-archive writer)


def tiny_image(name, payload):
    """A one-layer docker-archive from the project's image builder:
    (archive bytes, config digest, manifest digest)."""
    layer = io.BytesIO()
    with tarfile.open(fileobj=layer, mode="w", format=tarfile.GNU_FORMAT) as tar:
        info = tarfile.TarInfo("hello.txt")
        info.size, info.mtime = len(payload), 1
        tar.addfile(info, io.BytesIO(payload))
    config = {"architecture": "amd64", "os": "linux", "config": {"Cmd": ["/hello"]}}
    return archive.build([layer.getvalue()], config, [name], 1)



class EngineDouble:
    """A test double of the Docker engine's GET /images/NAME/json on a unix
    socket: images maps a name to the Id it answers (404 when absent)."""

    def __init__(self, path, images):
        self.path, self.images, self.requests = str(path), images, []
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.path)
        self.sock.listen(8)
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                request = b""
                while b"\r\n\r\n" not in request:
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    request += chunk
                line = request.split(b"\r\n")[0].decode()
                self.requests.append(line)
                name = line.split()[1][len("/images/"):-len("/json")]
                if name in self.images:
                    body = json.dumps({"Id": self.images[name], "RepoTags": [name], "Size": 1,
                                       "Config": {"Cmd": ["/hello"]}}).encode()
                    head = b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n"
                else:
                    body = json.dumps({"message": f"No such image: {name}"}).encode()
                    head = b"HTTP/1.0 404 Not Found\r\nContent-Type: application/json\r\n"
                conn.sendall(head + b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def close(self):
        self.sock.close()
