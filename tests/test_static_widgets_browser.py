"""Chapter 9's frame dashboards respond in the built HTML page, where no kernel runs: checked in headless Chromium.

The page embeds the widget state that the executed notebook saved; the html-manager scripts render it. For each
frame dashboard the test moves a control in the browser and compares the pictures the page then shows (their
SHA-1, fetched from the page) with the pictures that the embedded state says the Stacks and jslinks select,
worked out here in Python from the state alone.

Needs Chromium and chromedriver (Debian: ``apt-get install chromium chromium-driver``) and the scripts that the
page loads from CDNs (RequireJS, @jupyter-widgets/html-manager, MathJax). No CDN is reachable here, so they are
installed from npm on first use into RADAM_WIDGET_JS (default ~/.cache/radam/widget-js) and served on localhost
with the page, whose script addresses are rewritten. The chapter is built into a temporary folder (about a
minute), or taken from RADAM_BOOK_HTML (a built book's html folder). As a script it keeps screenshots:

    python tests/test_static_widgets_browser.py --screenshots /tmp/shots [--html _build/html]
"""

import argparse
import base64
import functools
import hashlib
import http.server
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGE = "book/09_playground.html"
CHROME_FLAGS = (
    "--headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking "
    "--disable-component-update --disable-sync --window-size=1280,1000"
).split()
STATE_TYPE = "application/vnd.jupyter.widget-state+json"
REQUIREJS_URL = re.compile(r"https://cdnjs\.cloudflare\.com/ajax/libs/require\.js/([\d.]+)/require\.min\.js")


# --- building the chapter, and the scripts the page needs --------------------------------------------------------


def build_chapter(out):
    """Build chapter 9 alone (root page) with jupyter-book into ``out``; return the html folder."""
    source = Path(out) / "source"
    (source / "book").mkdir(parents=True)
    for name in ("_config.yml", "references.bib"):
        shutil.copy(ROOT / name, source / name)
    for name in ("09_playground.ipynb", "bibliography.md"):
        shutil.copy(ROOT / "book" / name, source / "book" / name)
    toc = source / "_toc.yml"
    toc.write_text("format: jb-book\nroot: book/09_playground\nchapters:\n  - file: book/bibliography\n")
    jupyter_book = shutil.which("jupyter-book", path=str(Path(sys.executable).parent)) or "jupyter-book"
    subprocess.run([jupyter_book, "build", "--path-output", str(out), "--toc", str(toc), str(source)],
                   check=True, capture_output=True, text=True)
    return Path(out) / "_build" / "html"


def script_versions(html):
    """The npm packages (name@version) behind the page's CDN scripts."""
    manager = re.search(r"@jupyter-widgets/html-manager@([\d.]+)", html)
    requirejs = REQUIREJS_URL.search(html)
    mathjax = re.search(r"cdn\.jsdelivr\.net/npm/mathjax@(\d+)", html)
    return [f"@jupyter-widgets/html-manager@{manager.group(1)}", f"requirejs@{requirejs.group(1)}"] + (
        [f"mathjax@{mathjax.group(1)}"] if mathjax else []
    )


def widget_scripts(packages):
    """A node_modules folder holding ``packages``, installed with npm when missing; None without npm."""
    folder = Path(os.environ.get("RADAM_WIDGET_JS", Path.home() / ".cache" / "radam" / "widget-js"))
    modules = folder / "node_modules"

    def installed(spec):
        name, version = spec.rsplit("@", 1)
        manifest = modules / name / "package.json"
        return manifest.exists() and json.loads(manifest.read_text())["version"].startswith(version)

    missing = [spec for spec in packages if not installed(spec)]
    if missing:
        if shutil.which("npm") is None:
            return None
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "install", "--prefix", str(folder), "--no-audit", "--no-fund", *missing],
                       check=True, capture_output=True, text=True)
    return modules


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves the built book, its pages with CDN addresses rewritten to /_cdn/, and /_cdn/ from node_modules."""

    modules = None
    missing = None

    def log_message(self, *args):
        pass

    def do_GET(self):
        path = self.path.split("?")[0]
        if path.startswith("/_cdn/requirejs/"):
            return self._send_file(self.modules / "requirejs" / "require.js")
        if path.startswith("/_cdn/npm/"):  # /_cdn/npm/<package>[@version]/<file>
            match = re.match(r"/_cdn/npm/((?:@[^/]+/)?[^/@]+)(?:@[^/]+)?/(.*)", path)
            return self._send_file(self.modules / match.group(1) / match.group(2))
        if "/@jupyter-widgets/" in path:  # the html-manager's fonts, addressed relative to the page
            rest = path.split("/@jupyter-widgets/", 1)[1]
            found = self.modules / "@jupyter-widgets" / rest
            dist = self.modules / "@jupyter-widgets" / "html-manager" / "dist" / Path(rest).name
            return self._send_file(found if found.is_file() else dist)
        if path.endswith(".html"):
            page = Path(self.directory) / path.lstrip("/")
            html = re.sub(r'\s(integrity|crossorigin)="[^"]*"', "", page.read_text())
            html = REQUIREJS_URL.sub("/_cdn/requirejs/require.js", html)
            return self._send(html.replace("https://cdn.jsdelivr.net/npm/", "/_cdn/npm/").encode(), "text/html")
        return super().do_GET()

    def _send_file(self, path):
        if not path.is_file():
            self.missing.append(str(path))
            return self.send_error(404)
        return self._send(path.read_bytes(), self.guess_type(str(path)))

    def _send(self, body, content_type):
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def serve(html_dir, modules):
    """A localhost server for the built book in a daemon thread; returns (server, list of missing files)."""
    missing = []
    handler = type("Handler", (_Handler,), {"modules": modules, "missing": missing})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(html_dir)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, missing


# --- what the embedded state says the page shows ------------------------------------------------------------------


def _ref(value):
    return value[len("IPY_MODEL_"):]


class EmbeddedState:
    """The widget state a page embeds, and the pictures it shows for given control indices (Stack + jslink rules)."""

    def __init__(self, html):
        match = re.search(rf'<script type="{re.escape(STATE_TYPE)}">(.*?)</script>', html, re.S)
        self.models = json.loads(match.group(1))["state"]
        self.links = {}  # (stack id) -> control id, from jslink((control, "index"), (stack, "selected_index"))
        for model in self.models.values():
            if model["model_name"] == "LinkModel":
                (source, source_attr), (target, target_attr) = model["state"]["source"], model["state"]["target"]
                if (source_attr, target_attr) == ("index", "selected_index"):
                    self.links[_ref(target)] = _ref(source)

    def digest(self, model_id):
        buffer = self.models[model_id]["buffers"][0]
        return hashlib.sha1(base64.b64decode(buffer["data"])).hexdigest()

    def children(self, model_id):
        return [_ref(child) for child in self.models[model_id]["state"]["children"]]

    def dashboard_parts(self, view_id):
        """(control ids, grid id) of a frame dashboard's VBox, or None for another widget."""
        model = self.models[view_id]
        if model["model_name"] != "VBoxModel":
            return None
        parts = self.children(view_id)
        if len(parts) != 2 or self.models[parts[1]]["model_name"] != "GridBoxModel":
            return None
        return self.children(parts[0]), parts[1]

    def shown(self, grid_id, indices):
        """SHA-1s of the pictures shown, bottom to top, with control ``id`` at ``indices.get(id)`` (else its own)."""
        found = []

        def walk(model_id):
            model = self.models[model_id]
            name = model["model_name"]
            if name == "ImageModel":
                found.append(self.digest(model_id))
            elif name == "StackModel":
                control = self.links.get(model_id)
                if control is None:
                    index = model["state"]["selected_index"]
                else:
                    index = indices.get(control, self.models[control]["state"]["index"])
                walk(self.children(model_id)[index])
            elif name in ("BoxModel", "HBoxModel", "VBoxModel", "GridBoxModel"):
                for child in self.children(model_id):
                    walk(child)

        walk(grid_id)
        return found


# --- driving the page -------------------------------------------------------------------------------------------

_VIEWS_JS = """
return Array.from(document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]'))
  .map(s => [JSON.parse(s.textContent).model_id, s.parentElement]);
"""

_DIGESTS_JS = """
const done = arguments[arguments.length - 1];
const images = Array.from(arguments[0].querySelectorAll('.widget-gridbox img'));
Promise.all(images.map(img => fetch(img.src).then(r => r.arrayBuffer()).then(b => crypto.subtle.digest('SHA-1', b))
  .then(h => Array.from(new Uint8Array(h)).map(x => x.toString(16).padStart(2, '0')).join(''))))
  .then(done, error => done('error: ' + error));
"""


def start_chrome():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    options.binary_location = shutil.which("chromium") or shutil.which("chromium-browser")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)


def wait_for(condition, timeout=20.0, poll=0.01):
    """Poll ``condition()`` until it returns something truthy; return (value, seconds waited)."""
    start = time.perf_counter()
    while True:
        value = condition()
        if value or time.perf_counter() - start > timeout:
            return value, time.perf_counter() - start
        time.sleep(poll)


class Dashboard:
    """One frame dashboard on the page: its element, its controls and the pictures it shows."""

    def __init__(self, driver, state, view_id, element):
        self.driver, self.state, self.element = driver, state, element
        self.controls, self.grid = state.dashboard_parts(view_id)
        self.kinds = [state.models[c]["model_name"] for c in self.controls]
        self.indices = {}

    def shown(self):
        value = self.driver.execute_async_script(_DIGESTS_JS, self.element)
        assert not isinstance(value, str), value
        return value

    def expected(self):
        return self.state.shown(self.grid, self.indices)

    def control_index(self, control):
        return self.indices.get(control, self.state.models[control]["state"]["index"])

    def change(self, act):
        """Do ``act`` (a browser action), wait until the pictures change; return (pictures, seconds)."""
        before = self.shown()
        start = time.perf_counter()
        act()
        after, _ = wait_for(lambda: (lambda now: now if now != before else None)(self.shown()), timeout=10)
        return after, time.perf_counter() - start

    def move_slider(self, position, step):
        """Press an arrow key on the ``position``-th SelectionSlider (``step`` = -1 or +1)."""
        from selenium.webdriver.common.by import By
        from selenium.webdriver.common.keys import Keys

        control = [c for c, kind in zip(self.controls, self.kinds) if kind == "SelectionSliderModel"][position]
        handle = self.element.find_elements(By.CSS_SELECTOR, ".noUi-handle")[position]
        key = Keys.ARROW_RIGHT if step > 0 else Keys.ARROW_LEFT
        self.indices[control] = self.control_index(control) + step
        return self.change(lambda: handle.send_keys(key))

    def press_button(self, label):
        """Click the ToggleButtons button called ``label``."""
        from selenium.webdriver.common.by import By

        control = next(c for c, kind in zip(self.controls, self.kinds) if kind == "ToggleButtonsModel")
        labels = self.state.models[control]["state"]["_options_labels"]
        self.indices[control] = labels.index(label)
        button = next(b for b in self.element.find_elements(By.CSS_SELECTOR, "button") if b.text.strip() == label)
        return self.change(button.click)

    def choose(self, label):
        """Pick ``label`` in the Dropdown."""
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import Select

        control = next(c for c, kind in zip(self.controls, self.kinds) if kind == "DropdownModel")
        self.indices[control] = self.state.models[control]["state"]["_options_labels"].index(label)
        return self.change(lambda: Select(self.element.find_element(By.CSS_SELECTOR, "select")).select_by_visible_text(label))

    def screenshot(self, path):
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", self.element)
        time.sleep(0.3)
        self.element.screenshot(str(path))
        return path


def check_page(html_dir, modules, shots=None):
    """Open chapter 9, move a control of every frame dashboard; return a report (dict). Raises on a mismatch."""
    html = (Path(html_dir) / PAGE).read_text()
    state = EmbeddedState(html)
    server, missing = serve(html_dir, modules)
    driver = start_chrome()
    report = {"page_kb": len(html.encode()) // 1024, "moves": []}
    try:
        start = time.perf_counter()
        driver.get(f"http://127.0.0.1:{server.server_address[1]}/{PAGE}")
        views = [(view_id, element) for view_id, element in driver.execute_script(_VIEWS_JS)
                 if state.dashboard_parts(view_id)]
        assert len(views) == 3, f"expected the 3 frame dashboards of chapter 9, found {len(views)}"
        dashboards = [Dashboard(driver, state, view_id, element) for view_id, element in views]
        rendered, _ = wait_for(lambda: all(d.element.find_elements("css selector", ".widget-gridbox img")
                                           for d in dashboards), timeout=60)
        assert rendered, f"the widgets never rendered; missing local files: {missing[:5]}"
        report["load_s"] = time.perf_counter() - start
        for number, dashboard in enumerate(dashboards):
            assert dashboard.shown() == dashboard.expected(), "the first pictures differ from the embedded state"
            before = shots and dashboard.screenshot(Path(shots) / f"dashboard{number + 1}_before.png")
            moves = [("first slider one step left", lambda: dashboard.move_slider(0, -1))]
            if "ToggleButtonsModel" in dashboard.kinds:
                moves += [("optimizers: all seven", lambda: dashboard.press_button("all seven")),
                          ("function: Rosenbrock", lambda: dashboard.choose("Rosenbrock"))]
            moves += [("last slider one step left", lambda: dashboard.move_slider(-1, -1))]
            for what, move in moves:
                pictures, seconds = move()
                assert pictures == dashboard.expected(), f"dashboard {number + 1}, {what}: not the state's pictures"
                report["moves"].append((number + 1, what, seconds))
            after = shots and dashboard.screenshot(Path(shots) / f"dashboard{number + 1}_after.png")
            if shots:
                report.setdefault("screenshots", []).extend([str(before), str(after)])
        # Errors of the widget scripts and their files; html-manager 1.0 typesets widget labels with MathJax 2's
        # MathJax.Hub.Queue, which the book's MathJax 3 lacks: harmless (the label text is set first), counted.
        widget_errors = [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"
                         and ("/_cdn/" in entry["message"] or "@jupyter-widgets" in entry["message"])]
        report["mathjax_label_errors"] = sum("reading 'Queue'" in message for message in widget_errors)
        report["console_errors"] = [message for message in widget_errors if "reading 'Queue'" not in message]
    finally:
        driver.quit()
        server.shutdown()
    return report


# --- the test -----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def html_dir(tmp_path_factory):
    if os.environ.get("RADAM_BOOK_HTML"):
        return Path(os.environ["RADAM_BOOK_HTML"])
    return build_chapter(tmp_path_factory.mktemp("book"))


@pytest.mark.slow
def test_frame_dashboards_switch_pictures_in_a_browser_without_kernel(html_dir, tmp_path):
    if not (shutil.which("chromium") or shutil.which("chromium-browser")) or not shutil.which("chromedriver"):
        pytest.skip("needs chromium and chromedriver (apt-get install chromium chromium-driver)")
    modules = widget_scripts(script_versions((html_dir / PAGE).read_text()))
    if modules is None:
        pytest.skip("needs npm to fetch the page's widget scripts (or RADAM_WIDGET_JS with them installed)")
    report = check_page(html_dir, modules, shots=tmp_path)
    assert len(report["moves"]) == 8
    assert report["console_errors"] == []
    for number in (1, 2, 3):
        before, after = (tmp_path / f"dashboard{number}_{when}.png" for when in ("before", "after"))
        assert before.read_bytes() != after.read_bytes(), f"dashboard {number} looks the same after the moves"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--html", help="a built book's html folder (default: build chapter 9 now)")
    parser.add_argument("--screenshots", default=tempfile.mkdtemp(prefix="radam-shots-"), help="folder for PNGs")
    args = parser.parse_args()
    html_dir = Path(args.html) if args.html else build_chapter(tempfile.mkdtemp(prefix="radam-book-"))
    modules = widget_scripts(script_versions((html_dir / PAGE).read_text()))
    Path(args.screenshots).mkdir(parents=True, exist_ok=True)
    report = check_page(html_dir, modules, shots=args.screenshots)
    print(f"page {report['page_kb']} KB, widgets rendered {report['load_s']:.1f} s after loading started")
    for number, what, seconds in report["moves"]:
        print(f"dashboard {number}: {what:28s} -> the state's pictures, shown after {1000 * seconds:.0f} ms")
    print(f"median switch {1000 * statistics.median(s for *_, s in report['moves']):.0f} ms;"
          f" widget script errors: {report['console_errors'] or 'none'}"
          f" (and {report['mathjax_label_errors']} MathJax 2 label-typesetting calls failing harmlessly)")
    print("screenshots:", *report["screenshots"], sep="\n  ")


if __name__ == "__main__":
    main()
