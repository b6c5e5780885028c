"""`mlatlas serve`: build, serve the output on 127.0.0.1, rebuild on change, reload the browser.

The server only ever serves the last good build. When a rebuild fails, the problems are printed in
the terminal and shown over the page in the browser until the next good build.
"""

from __future__ import annotations

import json
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from watchfiles import DefaultFilter, watch

from .build import BuildState, build_site, default_cache_dir
from .load import load_config
from .problems import BuildError

RELOAD_JS = """
(function () {
  var box = null;
  var es = new EventSource("/__mlatlas/events");
  es.addEventListener("reload", function () { location.reload(); });
  es.addEventListener("problems", function (e) {
    if (!box) {
      box = document.createElement("pre");
      box.setAttribute("role", "alert");
      box.style.cssText = "position:fixed;inset:auto 1rem 1rem 1rem;max-height:45vh;overflow:auto;" +
        "z-index:99;" +
        "background:#2b0b0b;color:#ffd7d7;padding:1rem;border-radius:8px;font-size:13px;white-space:pre-wrap";
      document.body.appendChild(box);
    }
    box.textContent = "Build failed — fix these and save:\\n\\n" + JSON.parse(e.data).join("\\n");
  });
})();
"""


class Broadcaster:
    def __init__(self):
        self.cond = threading.Condition()
        self.generation = 0
        self.event = ("reload", "")

    def publish(self, kind: str, data: str = "") -> None:
        with self.cond:
            self.generation += 1
            self.event = (kind, data)
            self.cond.notify_all()

    def wait(self, seen: int, timeout: float) -> tuple[int, tuple[str, str]]:
        with self.cond:
            self.cond.wait_for(lambda: self.generation != seen, timeout=timeout)
            return self.generation, self.event


class Handler(SimpleHTTPRequestHandler):
    broadcaster: Broadcaster

    def log_message(self, format, *args):  # quiet: the terminal shows builds, not every request
        pass

    def do_GET(self):
        if self.path == "/__mlatlas/events":
            return self._events()
        if self.path == "/__mlatlas/reload.js":
            return self._send(RELOAD_JS.encode(), "text/javascript")
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            if not self.path.split("?")[0].endswith("/"):
                return super().do_GET()  # redirect to the slash form
            path = path / "index.html"
        if path.suffix == ".html" and path.is_file():
            html = path.read_text(encoding="utf-8")
            html = html.replace("</body>", '<script src="/__mlatlas/reload.js"></script></body>', 1)
            return self._send(html.encode(), "text/html; charset=utf-8")
        if not path.exists():
            notfound = Path(self.directory) / "404.html"
            if notfound.exists():
                return self._send(notfound.read_bytes(), "text/html; charset=utf-8", status=404)
        return super().do_GET()

    def _send(self, body: bytes, ctype: str, status: int = 200):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def _events(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        seen = self.broadcaster.generation
        try:
            while True:
                gen, (kind, data) = self.broadcaster.wait(seen, timeout=15)
                if gen == seen:
                    self.wfile.write(b": keep-alive\n\n")
                else:
                    seen = gen
                    self.wfile.write(
                        f"event: {kind}\ndata: {json.dumps(data) if data else '{}'}\n\n".encode()
                    )
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            return


def serve_forever(site_dir: Path, out_dir: Path, port: int, console) -> None:
    cache_dir = default_cache_dir(site_dir)
    state = BuildState()
    broadcaster = Broadcaster()

    def rebuild(first: bool = False, search: bool = True) -> bool:
        t0 = time.perf_counter()
        try:
            with console.status("building…") as status:
                result = build_site(
                    site_dir,
                    out_dir,
                    cache_dir=cache_dir,
                    state=state,
                    search=search,
                    progress=lambda m: status.update(m),
                )
        except BuildError as exc:
            for p in exc.problems:
                console.print(str(p), markup=False)
            console.print(f"[red]{len(exc.problems)} problems[/red]; still serving the last good build")
            broadcaster.publish("problems", [str(p) for p in exc.problems])
            return False
        for w in result.warnings:
            console.print(str(w), markup=False)
        if result.files_changed or first:
            verb = "built" if first else "rebuilt"
            console.print(
                f"{verb} {result.pages} pages in {time.perf_counter() - t0:.2f} s "
                f"({result.files_changed} files changed){'' if search else '; search index follows'}"
            )
            broadcaster.publish("reload")
        return True

    Handler.broadcaster = broadcaster
    try:  # claim the port first: a clear message now beats a traceback after a long build
        server = ThreadingHTTPServer(("127.0.0.1", port), partial(Handler, directory=str(out_dir)))
    except OSError as exc:
        raise SystemExit(
            f"cannot listen on 127.0.0.1:{port} ({exc.strerror}); "
            f"is another server running? Try --port {port + 1}"
        ) from None
    server.daemon_threads = True

    ok = rebuild(first=True)
    if not ok and not out_dir.exists():
        console.print(
            "[red]The first build failed, so there is nothing to serve yet.[/red] "
            "Fix the problems above; the server waits and rebuilds on every save."
        )
        out_dir.mkdir(parents=True, exist_ok=True)

    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    console.print(f"serving [bold]http://127.0.0.1:{port}/[/bold] — edit and save to rebuild; Ctrl-C to stop")

    config, _ = load_config(site_dir)
    package_dir = Path(__file__).resolve().parents[1]
    watched = [site_dir, package_dir] + ([config.tests] if config.tests and config.tests.is_dir() else [])
    ignore = {cache_dir.resolve(), out_dir.resolve()}

    class Filter(DefaultFilter):
        def __call__(self, change, path: str) -> bool:
            p = Path(path).resolve()
            if any(p == d or d in p.parents for d in ignore) or ".staging" in path or ".old" in path:
                return False
            return super().__call__(change, path)

    index_pending = False
    try:
        # Edits rebuild at once without re-indexing search; once things are quiet for 1.5 s the
        # search index catches up (a build with no page changes only re-runs the indexer).
        for changes in watch(
            *watched, watch_filter=Filter(), debounce=150, step=50, rust_timeout=1500, yield_on_timeout=True
        ):
            if changes:
                index_pending = rebuild(search=False) or index_pending
            elif index_pending:
                index_pending = not rebuild(search=True)
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
