"""The mutation score of the core: how many of mutmut's mutants of each module the fast tests kill.

Usage::

    python benchmarks/mutation_score.py                  # every module below
    python benchmarks/mutation_score.py theory stats     # some of them
    python benchmarks/mutation_score.py --jobs 4 numpy

For each module it copies radam/ and tests/ into a temporary folder, writes mutmut's configuration there
(setup.cfg: mutate that one file, run the fast tests that cover it: ``-m "not slow"``), runs ``mutmut run``,
and prints the module's score, the time it took, and every surviving mutant with its diff, less those listed
as equivalent in benchmarks/equivalent_mutants.txt (one per line: the mutant's name, then a one-line reason).
The score is killed / (all mutants - equivalent ones); mutants that no selected test reaches count as survivors.
Of radam/cifar10/analysis.py only the verdict code is scored (Comparison, compare, compare_at_rates, sweep_verdict).

mutmut (>= 3.3) runs pytest in its own process, so it must import radam's dependencies. It has dependencies of
its own (libcst, textual, ...): install it into a separate virtual environment that also sees this project's::

    python -m venv /tmp/mutmut-venv && /tmp/mutmut-venv/bin/pip install 'mutmut>=3.3,<4'
    .venv/bin/python -c "import site; print(site.getsitepackages()[0])" \\
        > /tmp/mutmut-venv/lib/python3.11/site-packages/radam-venv.pth   # same Python version as .venv
    MUTMUT=/tmp/mutmut-venv/bin/mutmut .venv/bin/python benchmarks/mutation_score.py theory

Not part of CI: minutes per module. Measured on two busy cores (--jobs 2): theory 601 mutants (+51 equivalent)
3.5 min, schedules 161 (+4) 0.4 min, stats 325 (+26) 1.8 min, analysis 153 (+3) scored of 362 run, 2.6 min; all
killed. radam.keras cannot be scored this way: mutmut forks a process per mutant, and TensorFlow, once imported,
hangs in the fork.
"""

import argparse
import configparser
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EQUIVALENT_FILE = Path(__file__).resolve().parent / "equivalent_mutants.txt"

MODULES = {  # name: (the file mutated, the fast test files that cover it)
    "theory": ("radam/theory.py", ["tests/test_theory.py", "tests/test_optimizer_properties.py"]),
    "schedules": ("radam/schedules.py", ["tests/test_schedules.py", "tests/test_numpy.py"]),
    "stats": ("radam/cifar10/stats.py", ["tests/test_stats.py", "tests/test_cifar10_analysis.py"]),
    "analysis": ("radam/cifar10/analysis.py", ["tests/test_cifar10_analysis.py", "tests/test_stats.py"]),
    "variants": ("radam/variants.py", ["tests/test_variants.py", "tests/test_numpy.py"]),
    "numpy": ("radam/numpy.py", ["tests/test_numpy.py", "tests/test_optimizer_properties.py"]),
}
# radam/keras.py is not here: its tests import TensorFlow, which hangs in mutmut's forked children, and a hung
# mutant would count as detected (a timeout).
FUNCTIONS = {  # the modules scored on some of their functions only: a pattern of mutant names
    "analysis": re.compile(r"Comparison|_comparison|x_compare|sweep_verdict"),  # the verdict code
}
DETECTED = ("killed", "timeout", "segfault")
"""mutmut's statuses of a mutant the tests detect: a test failed, or the tests did not finish (an endless loop)."""
STATUS = re.compile(r"^\s*(\S+__mutmut_\d+): (.+)$")


def equivalent_mutants():
    """{mutant name: reason} from EQUIVALENT_FILE (blank lines and # comments skipped)."""
    if not EQUIVALENT_FILE.exists():
        return {}
    listed = {}
    for line in EQUIVALENT_FILE.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, reason = line.partition(" ")
            listed[name] = reason.strip()
    return listed


def write_config(folder, target, tests):
    # TensorFlow does not survive the fork that mutmut tests each mutant in once the parent has imported it (the
    # child hangs): the modules are tested without the Keras tests.
    select = ["-k", "not keras"]
    config = configparser.ConfigParser()
    config["mutmut"] = {
        "source_paths": "radam/",
        "only_mutate": target,
        "pytest_add_cli_args": "\n".join(["-m", "not slow", "-p", "no:cacheprovider", "-q", "-x", *select]),
        "pytest_add_cli_args_test_selection": "\n".join(tests),
    }
    with open(folder / "setup.cfg", "w", encoding="utf-8") as f:
        config.write(f)


def score_module(name, mutmut, jobs, equivalent):
    """Run mutmut on one module; prints and returns (killed, counted, seconds)."""
    target, tests = MODULES[name]
    with tempfile.TemporaryDirectory(prefix=f"mutation-{name}-") as tmp:
        folder = Path(tmp)
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".hypothesis")
        for part in ("radam", "tests"):
            shutil.copytree(ROOT / part, folder / part, ignore=ignore)
        write_config(folder, target, tests)
        env = dict(os.environ, HYPOTHESIS_PROFILE="default")
        start = time.monotonic()
        subprocess.run([mutmut, "run", "--max-children", str(jobs)], cwd=folder, env=env, check=True,
                       stdout=subprocess.DEVNULL)
        seconds = time.monotonic() - start
        listing = subprocess.run([mutmut, "results", "--all", "true"], cwd=folder, env=env, check=True,
                                 capture_output=True, text=True).stdout
        statuses = dict(m.groups() for m in map(STATUS.match, listing.splitlines()) if m)
        if name in FUNCTIONS:
            statuses = {m: status for m, status in statuses.items() if FUNCTIONS[name].search(m)}
        survivors = sorted(m for m, status in statuses.items() if status not in DETECTED and m not in equivalent)
        counted = sum(1 for m in statuses if m not in equivalent)
        killed = sum(1 for m, status in statuses.items() if status in DETECTED and m not in equivalent)
        print(f"{name} ({target}): {killed} of {counted} mutants killed "
              f"({100 * killed / max(counted, 1):.1f}%), {len(statuses) - counted} listed as equivalent, "
              f"{seconds / 60:.1f} min", flush=True)
        for mutant in survivors:
            diff = subprocess.run([mutmut, "show", mutant], cwd=folder, env=env, capture_output=True, text=True).stdout
            changed = [line for line in diff.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")]
            print(f"  {statuses[mutant]}: {mutant}")
            for line in changed:
                print(f"      {line.strip()}")
    return killed, counted, seconds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", metavar="MODULE", help=f"some of {', '.join(MODULES)} (default: all)")
    parser.add_argument("--jobs", type=int, default=2, help="mutants tested at once (default 2)")
    parser.add_argument("--mutmut", default=os.environ.get("MUTMUT", "mutmut"),
                        help="the mutmut executable (default: $MUTMUT, else mutmut on PATH)")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.modules) - set(MODULES))
    if unknown:
        parser.error(f"MODULE must be one of {', '.join(MODULES)}, got {', '.join(unknown)}")
    if shutil.which(args.mutmut) is None:
        sys.exit(f"mutmut not found ({args.mutmut!r}): see this script's docstring for its installation")
    equivalent = equivalent_mutants()
    total_killed = total = 0
    for name in args.modules or list(MODULES):
        killed, counted, _ = score_module(name, args.mutmut, args.jobs, equivalent)
        total_killed, total = total_killed + killed, total + counted
    print(f"core: {total_killed} of {total} mutants killed ({100 * total_killed / max(total, 1):.1f}%)")
    listed = [f"  {name}: {reason}" for name, reason in sorted(equivalent.items())]
    if listed:
        print("equivalent mutants (benchmarks/equivalent_mutants.txt):", *listed, sep="\n")


if __name__ == "__main__":
    main()
