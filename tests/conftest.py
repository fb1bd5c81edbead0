"""Shared fixtures: a local HTTP server for download tests, and environment hygiene."""
import contextlib
import http.server
import os
import threading
from pathlib import Path

import pytest


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves files from a folder; ``/truncated/NAME`` announces NAME's full length but
    sends only half of it, like a connection that breaks off."""

    def do_GET(self):  # http.server's naming
        if self.path.startswith("/truncated/"):
            data = (Path(self.directory) / self.path.split("/", 2)[2]).read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        super().do_GET()

    def log_message(self, *args):  # keep test output clean
        pass


@contextlib.contextmanager
def serve_folder(folder):
    """A server on 127.0.0.1 serving ``folder`` while the block runs; yields its base URL."""
    def handler(*args, **kwargs):
        return _Handler(*args, directory=str(folder), **kwargs)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def http_root(tmp_path):
    """(base URL, folder): a server on 127.0.0.1 serving the folder, for one test."""
    root = tmp_path / "served"
    root.mkdir()
    with serve_folder(root) as url:
        yield url, root


@pytest.fixture(scope="session")
def book_url():
    """The checkout served on 127.0.0.1, as ``$D2LMINI_BOOK_URL`` expects (a chapter running
    alone fetches the book's committed files from it)."""
    with serve_folder(Path(__file__).resolve().parent.parent) as url:
        yield url


@pytest.fixture
def closed_port_url():
    """A URL on 127.0.0.1 where nothing listens: what an offline machine sees."""
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def no_budget(monkeypatch):
    """Run without quick mode or D2LMINI_MAX_* limits (the suite runs in quick mode)."""
    for name in list(os.environ):
        if name.startswith("D2LMINI_") and name != "D2LMINI_DATA_DIR":
            monkeypatch.delenv(name)


@pytest.fixture
def float64():
    """PyTorch and Keras build float64 models within the test (for comparing the two
    frameworks below float32's rounding); the defaults come back afterwards."""
    torch = pytest.importorskip("torch")
    keras = pytest.importorskip("keras")
    old = torch.get_default_dtype(), keras.config.floatx(), keras.config.dtype_policy()
    torch.set_default_dtype(torch.float64)
    keras.config.set_floatx("float64")
    keras.config.set_dtype_policy("float64")  # floatx alone is read once, by the first model
    yield
    torch.set_default_dtype(old[0])
    keras.config.set_floatx(old[1])
    keras.config.set_dtype_policy(old[2])
