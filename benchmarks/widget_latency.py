"""Latency of the playground's live dashboards: slider change -> new figure, in a real Jupyter kernel.

For dashboards 1-3 of chapter 9 in their live (kernel-driven) form, ``static=False``, as Colab's ipywidgets 7.7
runs them, a kernel sets each control to a series of positions programmatically (``control.value = x``) and
times until the observer has redrawn the figure and sent the new picture to the Output widget. Every position
is visited twice: the first visit computes (runs, Monte Carlo where not cached), the second may hit a cache.
The race runs all seven optimizers (its slowest setting) while its other controls move.
Prints the medians (and 90th percentiles) per control and per dashboard; the target is a median <= 150 ms.

    python benchmarks/widget_latency.py [--positions 8]
"""

import argparse
import json
import sys

import nbformat
import numpy as np
from nbclient import NotebookClient

KERNEL_CODE = r"""
import json, statistics, time
import numpy as np
import ipywidgets
from radam import widgets

def positions(control, count):
    if isinstance(control, (ipywidgets.Dropdown, ipywidgets.ToggleButtons)):
        values = [value for _, value in control.options] if isinstance(control.options[0], tuple) else list(control.options)
        return values
    steps = int(round((control.max - control.min) / control.step))
    picks = np.unique(np.linspace(0, steps, count).round().astype(int))
    exponents = control.min + picks * control.step
    return list(control.base ** exponents) if isinstance(control, ipywidgets.FloatLogSlider) else list(exponents)

def measure(dashboard, count):
    out = {}
    for name, control in dashboard.controls.items():
        start_value = control.value
        values = positions(control, count)
        order = values[1:] + values[:1]  # never set the value the control already has
        first, second = [], []
        for times in (first, second):
            for value in order:
                if value == control.value:
                    continue
                start = time.perf_counter()
                control.value = value
                times.append(time.perf_counter() - start)
        control.value = start_value
        out[name] = {"first": first, "second": second}
    return out

results = {}
for build in (widgets.rectification_explorer, widgets.optimizer_race, widgets.variance_explorer):
    start = time.perf_counter()
    dashboard = build(static=False)
    display(dashboard)
    if "optimizers" in dashboard.controls:  # the race's worst case: all seven optimizers run at every move
        dashboard.controls["optimizers"].value = dict(widgets.RACE_GROUPS)["all seven"]
    built = time.perf_counter() - start
    results[build.__name__] = {"built": built, "controls": measure(dashboard, COUNT)}
print("RESULTS" + json.dumps({"ipywidgets": ipywidgets.__version__, "results": results}))
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--positions", type=int, default=8, help="positions per slider (default 8)")
    args = parser.parse_args()
    code = f"COUNT = {args.positions}\n" + KERNEL_CODE
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    NotebookClient(notebook, timeout=600, kernel_name="python3").execute()
    text = "".join(o.get("text", "") for o in notebook.cells[0].outputs if o.output_type == "stream")
    data = json.loads(text.split("RESULTS", 1)[1])
    print(f"live dashboards in a Jupyter kernel (ipywidgets {data['ipywidgets']}, {args.positions} positions per "
          f"slider, each visited twice); slider change -> new figure sent, in ms")
    print(f"{'dashboard':24s} {'control':18s} {'moves':>5s} {'median 1st':>10s} {'median 2nd':>10s} {'p90 all':>8s}")
    for dashboard, result in data["results"].items():
        every = []
        for control, times in result["controls"].items():
            both = times["first"] + times["second"]
            every += both
            print(f"{dashboard:24s} {control:18s} {len(both):5d} {1000 * _median(times['first']):10.0f} "
                  f"{1000 * _median(times['second']):10.0f} {1000 * _quantile(both, 0.9):8.0f}")
        print(f"{dashboard:24s} {'ALL CONTROLS':18s} {len(every):5d} {'':10s} {'':10s} {1000 * _quantile(every, 0.9):8.0f}"
              f"   median {1000 * _median(every):.0f} ms (built in {result['built']:.2f} s)")


def _median(values):
    return float(np.median(values)) if values else float("nan")


def _quantile(values, q):
    return float(np.quantile(values, q)) if values else float("nan")


if __name__ == "__main__":
    sys.exit(main())
