"""Test double of an OpenAI-compatible ``/chat/completions`` server on 127.0.0.1 (no real chat API
is reachable here): each request body is recorded and answered by a function of it."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (http.server's name)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append(body)
        message = self.server.reply(body)
        if isinstance(message, int):  # an HTTP error status
            self.send_error(message)
            return
        data = json.dumps({"choices": [{"message": {"role": "assistant", **message}}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@contextmanager
def fake_chat_endpoint(reply: Callable[[dict], dict | int]) -> Iterator[tuple[str, list[dict]]]:
    """``(base_url, requests)`` of a running server; ``reply(body)`` gives the assistant message
    (``{"content": ..., "tool_calls": ...}``) or an HTTP status to fail with."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.requests, server.reply = [], reply
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/v1", server.requests
    finally:
        server.shutdown()
        server.server_close()
