"""Every chapter's frame dashboards respond in the built HTML pages, where no kernel runs: checked in headless Chromium.

A page embeds the widget state that the executed notebook saved; the html-manager scripts render it. The pages
with frame dashboards are found from that state (a VBox of a row of controls above a GridBox of Stacks), not from
a list of chapters, so a chapter that gains a dashboard is checked too. On each page, the test moves every control
of every dashboard through all its options (sliders by arrow keys, end to end; buttons and dropdowns option by
option) and compares, after each move, the pictures the page shows (their SHA-1, fetched from the page) with the
pictures that the embedded state says the Stacks and jslinks select, worked out here in Python from the state
alone; a slider's readout must show the option its position implies, and every control must change the figure.
Each page, with the images it loads, must stay under 3 MB; the sizes are printed.

Every page of the book is also laid out at 1280 px (a desktop) and 390 px (a phone) and measured: no displayed
equation or table wider than the content column, no equation cut inside its own box, no table cell broken inside
a word, no literal backslash-underscore in rendered math, every admonition (dropdowns opened) inside the column
with its content inside it, and no page that scrolls sideways (code scrolls in its own boxes).

Needs Chromium and chromedriver (Debian: ``apt-get install chromium chromium-driver``) and the scripts that the
page loads from CDNs (RequireJS, @jupyter-widgets/html-manager, MathJax). No CDN is reachable here, so they are
installed from npm on first use into RADAM_WIDGET_JS (default ~/.cache/radam/widget-js) and served on localhost
with the page, whose script addresses are rewritten. The chapters whose code uses the dashboard modules are built
into a temporary folder (a few minutes: they execute), or the pages are taken from RADAM_BOOK_HTML (a built book's
html folder). As a script it keeps screenshots:

    python tests/test_static_widgets_browser.py --screenshots /tmp/shots [--html _build/html] [--layout]
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
MAX_PAGE_BYTES = 3_000_000
"""The most a page with its images may weigh."""
CHROME_FLAGS = (
    "--headless --no-sandbox --disable-gpu --disable-quic --disable-dev-shm-usage --no-first-run "
    "--disable-background-networking --disable-component-update --disable-sync --window-size=1280,1000"
).split()
STATE_TYPE = "application/vnd.jupyter.widget-state+json"
REQUIREJS_URL = re.compile(r"https://cdnjs\.cloudflare\.com/ajax/libs/require\.js/([\d.]+)/require\.min\.js")


# --- building the chapter, and the scripts the page needs --------------------------------------------------------


DASHBOARD_CODE = re.compile(r"radam\.(?:\w*widgets|frames)\b|FrameDashboard|from radam import [^\n]*\b(?:\w*widgets|frames)\b")
"""Code that makes dashboards: the chapters built for the test are those whose code cells match."""


def dashboard_notebooks():
    """The book's notebooks whose code uses radam's dashboard modules (radam.widgets, radam.widgets.chapters_1_4, ...)."""
    found = []
    for notebook in sorted((ROOT / "book").glob("*.ipynb")):
        code = "\n".join("".join(cell["source"]) for cell in json.loads(notebook.read_text())["cells"]
                         if cell["cell_type"] == "code")
        if DASHBOARD_CODE.search(code):
            found.append(notebook)
    return found


def build_chapters(out, notebooks=None):
    """Build ``notebooks`` (default: :func:`dashboard_notebooks`) alone with jupyter-book into ``out``; return the
    html folder. The first is the root page; cross-references to the chapters left out stay unresolved."""
    notebooks = list(notebooks or dashboard_notebooks())
    source = Path(out) / "source"
    (source / "book").mkdir(parents=True)
    for name in ("_config.yml", "references.bib"):
        shutil.copy(ROOT / name, source / name)
    for path in notebooks + [ROOT / "book" / "bibliography.md"]:
        shutil.copy(path, source / "book" / path.name)
    for folder in (ROOT / "book").iterdir():  # the book's local Sphinx extensions (_ext), saved results, ...
        if folder.is_dir() and not folder.name.startswith((".", "__")) and folder.name != "_build":
            shutil.copytree(folder, source / "book" / folder.name, ignore=shutil.ignore_patterns("__pycache__"))
    toc = source / "_toc.yml"
    entries = [f"book/{path.stem}" for path in notebooks[1:]] + ["book/bibliography"]
    toc.write_text(f"format: jb-book\nroot: book/{notebooks[0].stem}\nchapters:\n"
                   + "".join(f"  - file: {entry}\n" for entry in entries))
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


_READOUTS_JS = """
return Array.from(arguments[0].querySelectorAll('.widget-readout')).map(e => e.textContent.trim());
"""


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

    def labels(self, control):
        return self.state.models[control]["state"]["_options_labels"]

    def readouts(self):
        """The labels the sliders' readouts show, in order."""
        return self.driver.execute_script(_READOUTS_JS, self.element)

    def change(self, control, index, act):
        """Do ``act`` (a browser action that puts ``control`` at ``index``) and wait until the pictures are the
        ones the state implies (or, when those are the same as before, a moment); return (pictures, seconds)."""
        before = self.shown()
        self.indices[control] = index
        expected = self.expected()
        start = time.perf_counter()
        act()
        if expected == before:
            time.sleep(0.3)
            after = self.shown()
        else:
            after, _ = wait_for(lambda: (lambda now: now if now != before else None)(self.shown()), timeout=10)
        return after, time.perf_counter() - start

    def slider_moves(self, control):
        """Arrow-key presses that sweep a SelectionSlider to its last option, then to its first: (index, act)."""
        from selenium.webdriver.common.by import By
        from selenium.webdriver.common.keys import Keys

        sliders = [c for c, kind in zip(self.controls, self.kinds) if kind == "SelectionSliderModel"]
        handle = self.element.find_elements(By.CSS_SELECTOR, ".noUi-handle")[sliders.index(control)]
        last, index = len(self.labels(control)) - 1, self.control_index(control)
        path = list(range(index + 1, last + 1)) + list(range(last - 1, -1, -1))
        for target in path:
            previous = index
            index = target
            key = Keys.ARROW_RIGHT if target > previous else Keys.ARROW_LEFT
            yield target, f"{self.labels(control)[target]}", lambda key=key: handle.send_keys(key)

    def button_moves(self, control):
        """Clicks on every other button of a ToggleButtons, then back on the first one chosen."""
        from selenium.webdriver.common.by import By

        labels, start = self.labels(control), self.control_index(control)
        buttons = self.element.find_elements(By.CSS_SELECTOR, ".widget-toggle-buttons button")
        order = [i for i in range(len(labels)) if i != start] + [start]
        for target in order:
            button = next(b for b in buttons if b.text.strip() == labels[target])
            yield target, labels[target], button.click

    def dropdown_moves(self, control):
        """Every other option of a Dropdown, then back to the first one chosen."""
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import Select

        labels, start = self.labels(control), self.control_index(control)
        dropdowns = [c for c, kind in zip(self.controls, self.kinds) if kind == "DropdownModel"]
        select = self.element.find_elements(By.CSS_SELECTOR, "select")[dropdowns.index(control)]
        for target in [i for i in range(len(labels)) if i != start] + [start]:
            yield target, labels[target], lambda label=labels[target]: Select(select).select_by_visible_text(label)

    def moves(self, control):
        kind = self.state.models[control]["model_name"]
        if kind == "SelectionSliderModel":
            return self.slider_moves(control)
        if kind == "ToggleButtonsModel":
            return self.button_moves(control)
        if kind == "DropdownModel":
            return self.dropdown_moves(control)
        raise AssertionError(f"a frame dashboard control of an unknown kind: {kind}")

    def expected_readouts(self):
        return [self.labels(c)[self.control_index(c)] for c, kind in zip(self.controls, self.kinds)
                if kind == "SelectionSliderModel"]

    def screenshot(self, path):
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", self.element)
        time.sleep(0.3)
        self.element.screenshot(str(path))
        return path


def page_weight(html_dir, page):
    """Bytes of the page and of the local images it loads (widget pictures are inside the page)."""
    html = (Path(html_dir) / page).read_text()
    total = len(html.encode())
    for source in set(re.findall(r'<img[^>]+src="([^"]+)"', html)):
        path = (Path(html_dir) / page).parent / source.split("#")[0].split("?")[0]
        if not source.startswith(("data:", "http")) and path.is_file():
            total += path.stat().st_size
    return total


def view_ids(html):
    """The model ids of the widget views a page displays."""
    return [json.loads(found)["model_id"] for found in re.findall(
        r'<script type="application/vnd\.jupyter\.widget-view\+json">(.*?)</script>', html, re.S)]


def dashboard_pages(html_dir):
    """The pages (relative paths) that display at least one frame dashboard, found from their widget state."""
    pages = []
    for path in sorted(Path(html_dir).rglob("*.html")):
        html = path.read_text(errors="replace")
        if STATE_TYPE not in html:
            continue
        state = EmbeddedState(html)
        if any(view in state.models and state.dashboard_parts(view) for view in view_ids(html)):
            pages.append(path.relative_to(html_dir).as_posix())
    return pages


def check_page(html_dir, page, modules, shots=None):
    """Open ``page`` and move every control of every frame dashboard through its options; return a report (dict).
    Raises AssertionError on a picture or readout that differs from what the embedded state implies."""
    html = (Path(html_dir) / page).read_text()
    state = EmbeddedState(html)
    displayed = [view for view in view_ids(html) if view in state.models and state.dashboard_parts(view)]
    server, missing = serve(html_dir, modules)
    driver = start_chrome()
    report = {"page": page, "page_bytes": len(html.encode()), "total_bytes": page_weight(html_dir, page),
              "dashboards": len(displayed), "moves": [], "screenshots": []}
    name = Path(page).stem
    try:
        start = time.perf_counter()
        driver.get(f"http://127.0.0.1:{server.server_address[1]}/{page}")
        # The view tags are in the served HTML; wait for them rather than trust that get() returned a parsed page.
        views, _ = wait_for(lambda: [(view_id, element) for view_id, element in driver.execute_script(_VIEWS_JS)
                                     if view_id in state.models and state.dashboard_parts(view_id)], timeout=30)
        assert len(views) == len(displayed), (
            f"{page}: {len(displayed)} dashboards in the page, {len(views)} found in the browser, which shows "
            f"{driver.current_url!r} ({driver.execute_script('return document.readyState')}, title "
            f"{driver.title!r}); browser log: {[entry['message'] for entry in driver.get_log('browser')][:5]}")
        dashboards = [Dashboard(driver, state, view_id, element) for view_id, element in views]
        rendered, _ = wait_for(lambda: all(d.element.find_elements("css selector", ".widget-gridbox img")
                                           for d in dashboards), timeout=60)
        assert rendered, f"{page}: the widgets never rendered; missing local files: {missing[:5]}"
        report["load_s"] = time.perf_counter() - start
        for number, dashboard in enumerate(dashboards, start=1):
            where = f"{page}, dashboard {number}"
            assert dashboard.shown() == dashboard.expected(), f"{where}: the first pictures differ from the state"
            assert dashboard.readouts() == dashboard.expected_readouts(), f"{where}: readouts {dashboard.readouts()}"
            if shots:
                report["screenshots"].append(dashboard.screenshot(Path(shots) / f"{name}_{number}_before.png"))
            for control in dashboard.controls:
                description = state.models[control]["state"]["description"]
                seen = {tuple(dashboard.shown())}
                for index, label, act in dashboard.moves(control):
                    pictures, seconds = dashboard.change(control, index, act)
                    what = f"{description} = {label}"
                    assert pictures == dashboard.expected(), f"{where}, {what}: not the pictures the state implies"
                    readouts = dashboard.readouts()
                    assert readouts == dashboard.expected_readouts(), f"{where}, {what}: the readouts say {readouts}"
                    report["moves"].append((number, what, seconds))
                    seen.add(tuple(pictures))
                assert len(seen) > 1, f"{where}: moving {description} through its options never changes the figure"
            if shots:
                report["screenshots"].append(dashboard.screenshot(Path(shots) / f"{name}_{number}_after.png"))
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


def print_report(report):
    print(f"{report['page']}: {report['page_bytes'] / 1e6:.2f} MB page, {report['total_bytes'] / 1e6:.2f} MB with "
          f"its images; {report['dashboards']} dashboard(s) rendered {report['load_s']:.1f} s after loading began")
    for number, what, seconds in report["moves"]:
        print(f"  dashboard {number}: {what:40s} -> the state's pictures, shown after {1000 * seconds:.0f} ms")
    if report["moves"]:
        print(f"  median switch {1000 * statistics.median(s for *_, s in report['moves']):.0f} ms;"
              f" widget script errors: {report['console_errors'] or 'none'}"
              f" (and {report['mathjax_label_errors']} MathJax 2 label-typesetting calls failing harmlessly)")


# --- the layout of every page, on a desktop and on a phone --------------------------------------------------------

WIDTHS = (1280, 390)
"""Viewport widths, in CSS pixels, at which every page is laid out: a desktop and a phone (the theme then hides
its side bars)."""

_LAYOUT_JS = r"""
const done = arguments[arguments.length - 1];
// open every dropdown (sphinx-togglebutton) so that its content is measured too
document.querySelectorAll('button.toggle-button[aria-expanded="false"]').forEach(b => b.click());
const typeset = (window.MathJax && MathJax.startup && MathJax.startup.promise) || Promise.resolve();
typeset.then(() => new Promise(r => setTimeout(r, 600))).then(() => {
  const article = document.querySelector('article.bd-article');
  const box = article.getBoundingClientRect(), style = getComputedStyle(article);
  const left = box.left + parseFloat(style.paddingLeft), right = box.right - parseFloat(style.paddingRight);
  const problems = [];
  const text = e => (e.textContent || '').trim().replace(/\s+/g, ' ').slice(0, 70);
  const shown = r => r.width > 0 && r.height > 0;
  const beyond = (r, l, rt) => shown(r) && (r.left < l - 1 || r.right > rt + 1);
  let equations = 0, tables = 0, admonitions = 0;
  document.querySelectorAll('mjx-container[display="true"]').forEach(m => {
    equations += 1;
    if (beyond(m.getBoundingClientRect(), left, right)) problems.push(['equation wider than the column', text(m)]);
    if (m.scrollWidth > m.clientWidth + 1) problems.push(['equation cut (it scrolls in its box)', text(m)]);
  });
  document.querySelectorAll('mjx-container').forEach(m => {
    if (m.textContent.includes('\\_')) problems.push(['a literal \\_ in rendered math', text(m)]);
  });
  article.querySelectorAll('table').forEach(t => {
    tables += 1;
    if (beyond(t.getBoundingClientRect(), left, right)) problems.push(['table wider than the column', text(t)]);
    t.querySelectorAll('td, th').forEach(c => {  // a word split over two lines has rectangles on two lines
      const walker = document.createTreeWalker(c, NodeFilter.SHOW_TEXT);
      while (walker.nextNode()) {
        const node = walker.currentNode;
        for (const word of node.nodeValue.matchAll(/\S+/g)) {
          const range = document.createRange();
          range.setStart(node, word.index);
          range.setEnd(node, word.index + word[0].length);
          const tops = new Set(Array.from(range.getClientRects()).filter(shown).map(r => Math.round(r.top)));
          if (tops.size > 1) problems.push(['a table cell breaks a word', word[0]]);
        }
      }
    });
  });
  article.querySelectorAll('.admonition').forEach(a => {
    admonitions += 1;
    const r = a.getBoundingClientRect();
    if (beyond(r, left, right)) problems.push(['admonition outside the column', text(a)]);
    Array.from(a.children).forEach(c => {
      if (beyond(c.getBoundingClientRect(), r.left, r.right)) problems.push(['admonition content outside it', text(c)]);
    });
  });
  const sideways = document.documentElement.scrollWidth - window.innerWidth;
  if (sideways > 1) problems.push(['the page scrolls sideways', sideways + ' px']);
  done({problems: problems, equations: equations, tables: tables, admonitions: admonitions});
}, error => done({problems: [['script error', String(error)]]}));
"""


def book_pages(html_dir):
    """The book's pages (relative paths): chapters, bibliography and API reference."""
    return sorted(path.relative_to(html_dir).as_posix() for path in (Path(html_dir) / "book").glob("*.html"))


def full_page_screenshot(driver, path, max_height=12000):
    """A PNG of the whole page (down to ``max_height`` CSS pixels), not only of the viewport."""
    size = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    clip = {"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], max_height), "scale": 1}
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True,
                                                             "clip": clip})
    Path(path).write_bytes(base64.b64decode(shot["data"]))
    return path


def check_layout(html_dir, pages, modules, widths=WIDTHS, shots=None):
    """Lay out each page at each width (CSS pixels) and measure it; return one report (dict) per page and width:
    what overflows its column or box (``problems``), and how many equations, tables and admonitions it holds."""
    server, missing = serve(html_dir, modules)
    driver = start_chrome()
    reports = []
    try:
        for width in widths:
            metrics = {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 600}
            driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
            for page in pages:
                start = time.perf_counter()
                driver.get(f"http://127.0.0.1:{server.server_address[1]}/{page}")
                found = driver.execute_async_script(_LAYOUT_JS)
                report = {"page": page, "width": width, "seconds": time.perf_counter() - start, **found}
                if shots:
                    name = f"{Path(page).stem}_{width}.png"
                    report["screenshot"] = full_page_screenshot(driver, Path(shots) / name)
                reports.append(report)
    finally:
        driver.quit()
        server.shutdown()
    return reports


def print_layout(report):
    print(f"{report['page']} at {report['width']} px: {report.get('equations', 0)} displayed equations, "
          f"{report.get('tables', 0)} tables, {report.get('admonitions', 0)} admonitions measured in "
          f"{report['seconds']:.1f} s; {len(report['problems'])} problem(s)")
    for what, where in report["problems"]:
        print(f"  {what}: {where}")


# --- the test -----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def html_dir(tmp_path_factory):
    if os.environ.get("RADAM_BOOK_HTML"):
        return Path(os.environ["RADAM_BOOK_HTML"])
    return build_chapters(tmp_path_factory.mktemp("book"))


FRAME_CHAPTERS = ("01_gradient_descent", "02_adagrad", "03_rmsprop", "04_adam", "09_playground")
"""Chapters whose every dashboard is a frame dashboard (the others are found, and checked, from their pages)."""


def test_the_chapters_with_dashboards_are_found():
    names = [path.stem for path in dashboard_notebooks()]
    for chapter in FRAME_CHAPTERS:
        assert chapter in names, f"{chapter} makes dashboards but DASHBOARD_CODE does not find it"


@pytest.mark.slow
def test_frame_dashboards_switch_pictures_in_a_browser_without_kernel(html_dir, tmp_path):
    if not (shutil.which("chromium") or shutil.which("chromium-browser")) or not shutil.which("chromedriver"):
        pytest.skip("needs chromium and chromedriver (apt-get install chromium chromium-driver)")
    pages = dashboard_pages(html_dir)
    for notebook in dashboard_notebooks():
        page = f"book/{notebook.stem}.html"
        if (html_dir / page).exists() and page not in pages:
            assert notebook.stem not in FRAME_CHAPTERS, f"{page} shows no frame dashboard: its sliders are dead"
            print(f"{page}: widgets without frames (they need a kernel)")
    assert pages, f"no page of {html_dir} shows a frame dashboard"
    modules = widget_scripts(script_versions((html_dir / pages[0]).read_text()))
    if modules is None:
        pytest.skip("needs npm to fetch the page's widget scripts (or RADAM_WIDGET_JS with them installed)")
    for page in pages:
        report = check_page(html_dir, page, modules, shots=tmp_path)
        print_report(report)
        assert report["total_bytes"] < MAX_PAGE_BYTES, f"{page}: {report['total_bytes']} bytes with its images"
        assert report["moves"], f"{page}: no control was moved"
        assert report["console_errors"] == []
        shots = report["screenshots"]
        for before, after in zip(shots[::2], shots[1::2]):
            assert before.read_bytes() != after.read_bytes(), f"{before.name}: the dashboard looks the same after"


@pytest.mark.slow
def test_every_page_fits_its_column_on_a_desktop_and_a_phone(html_dir):
    """At 1280 and 390 px: no displayed equation or table wider than the column, no equation cut inside its box,
    no table cell broken inside a word, no literal backslash-underscore in rendered math, every admonition
    (dropdowns opened) inside the column and its content inside it, and no page that scrolls sideways."""
    if not (shutil.which("chromium") or shutil.which("chromium-browser")) or not shutil.which("chromedriver"):
        pytest.skip("needs chromium and chromedriver (apt-get install chromium chromium-driver)")
    pages = book_pages(html_dir)
    with_widgets = [page for page in pages if "html-manager" in (html_dir / page).read_text()]
    assert with_widgets, f"no page of {html_dir} loads the widget scripts"
    modules = widget_scripts(script_versions((html_dir / with_widgets[0]).read_text()))
    if modules is None:
        pytest.skip("needs npm to fetch the page's scripts (or RADAM_WIDGET_JS with them installed)")
    reports = check_layout(html_dir, pages, modules)
    for report in reports:
        print_layout(report)
    assert sum(report.get("equations", 0) for report in reports) > 0, "no displayed equation was measured"
    failed = [f"{r['page']} at {r['width']} px: {what}: {where}" for r in reports for what, where in r["problems"]]
    assert not failed, "\n".join(failed)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--html", help="a built book's html folder (default: build the dashboard chapters now)")
    parser.add_argument("--page", action="append", help="check only this page (e.g. book/04_adam.html)")
    parser.add_argument("--screenshots", default=tempfile.mkdtemp(prefix="radam-shots-"), help="folder for PNGs")
    parser.add_argument("--layout", action="store_true", help="measure the layout of the pages at 1280 and 390 px "
                        "(every book page unless --page), with full-page screenshots, instead of moving controls")
    args = parser.parse_args()
    html_dir = Path(args.html) if args.html else build_chapters(tempfile.mkdtemp(prefix="radam-book-"))
    Path(args.screenshots).mkdir(parents=True, exist_ok=True)
    if args.layout:
        pages = args.page or book_pages(html_dir)
        scripts = next(p for p in book_pages(html_dir) if "html-manager" in (html_dir / p).read_text())
        modules = widget_scripts(script_versions((html_dir / scripts).read_text()))
        for report in check_layout(html_dir, pages, modules, shots=args.screenshots):
            print_layout(report)
            print("  screenshot:", report["screenshot"])
        return
    pages = args.page or dashboard_pages(html_dir)
    modules = widget_scripts(script_versions((html_dir / pages[0]).read_text()))
    for page in pages:
        report = check_page(html_dir, page, modules, shots=args.screenshots)
        print_report(report)
        print("  screenshots:", *map(str, report["screenshots"]), sep="\n    ")


if __name__ == "__main__":
    main()
