"""The mutation score of the core: how many of mutmut's mutants of each module the fast tests kill.

Usage::

    python benchmarks/mutation_score.py                  # every module below (radam.keras on a sample)
    python benchmarks/mutation_score.py theory stats     # some of them
    python benchmarks/mutation_score.py --jobs 4 numpy
    python benchmarks/mutation_score.py keras --sample 40 --seed 0   # a seeded random sample of the mutants

For each module it copies radam/ and tests/ into a temporary folder, writes mutmut's configuration there
(setup.cfg: mutate that one file, run the fast tests that cover it: ``-m "not slow"``), runs ``mutmut run``,
and prints the module's score, the time it took, and every surviving mutant with its diff, less those listed
as equivalent in benchmarks/equivalent_mutants.txt (one per line: the mutant's name, then a one-line reason).
The score is killed / (all mutants - equivalent ones); mutants that no selected test reaches count as survivors.
Of radam/cifar10/analysis.py only the verdict code is scored (the paired endpoints: endpoint_sweep, paired_at_rates,
epoch_to_epoch_change).

radam.keras is tested through mutmut's fork server without warm-up (see TENSORFLOW): each mutant's process
imports TensorFlow afresh, some 6 CPU seconds, and its tests train small models, so the module's 565 mutants
would take hours. By default (SAMPLE) it scores a seeded random sample: mutmut first lists every mutant (it
generates them and stops on a test that covers none), the script draws the sample, and ``mutmut run`` tests
only those; the output gives the sample's size and a 95% Clopper-Pearson interval on the module's score.
``--sample 0`` scores every mutant; ``--sample N`` samples any module.

mutmut (3.8.1 or later: its fork server) runs pytest in its own process, so it must import radam's dependencies.
It has dependencies of its own (libcst, textual, ...): install it into a separate virtual environment that also
sees this project's::

    python -m venv /tmp/mutmut-venv && /tmp/mutmut-venv/bin/pip install 'mutmut>=3.8.1,<4'
    .venv/bin/python -c "import site; print(site.getsitepackages()[0])" \\
        > /tmp/mutmut-venv/lib/python3.11/site-packages/radam-venv.pth   # same Python version as .venv
    MUTMUT=/tmp/mutmut-venv/bin/mutmut nice -n 19 .venv/bin/python benchmarks/mutation_score.py theory

Not part of CI: minutes per module. Measured with mutmut 3.8.1 on two cores shared with a training run
(--jobs 1 or 2): theory 601 mutants (+51 equivalent) 3.5-10 min, schedules 162 (+3) 0.4-1.1 min, stats 329 (+26)
1.1-1.8 min, analysis (its verdict code) 262 (+3) 1.1 min, questions 158 0.4-0.8 min, design 122 (+5) 0.8-1.2 min,
variants 249 0.8-3.5 min, numpy 511 (+11) 6.5-34 min; all killed. The list of equivalent mutants names
them by number, so a change to a function renumbers its mutants: the script says which entries no longer
match (killed, or not generated). radam.keras, the same machine: each mutant imports TensorFlow afresh and runs
the Keras fast tests it reaches, 18-25 min for a sample of 60. Three seeded samples, each scored before the
tests that its survivors called for were written: seed 0 killed 34 of 40 (the JAX/PyTorch update expression,
TensorFlow's ops.cond and weight decay without the SGD fallback were untested), seed 1 56 of 60 (float32 rho_t
where the direct form cancels, the slots' names), seed 2 58 of 60, 96.7% (95% interval 88.5% to 99.6%; float64
variables under a float32 floatx, the schedule's dtype). Every survivor of the three is killed by a test added
since or listed as equivalent (three).
"""

import argparse
import configparser
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from radam.cifar10.stats import clopper_pearson_upper

ROOT = Path(__file__).resolve().parent.parent
EQUIVALENT_FILE = Path(__file__).resolve().parent / "equivalent_mutants.txt"

MODULES = {  # name: (the file mutated, the fast test files that cover it)
    "theory": ("radam/theory.py", ["tests/test_theory.py", "tests/test_optimizer_properties.py"]),
    "schedules": ("radam/schedules.py", ["tests/test_schedules.py", "tests/test_numpy.py"]),
    "stats": ("radam/cifar10/stats.py", ["tests/test_stats.py", "tests/test_cifar10_analysis.py"]),
    "analysis": ("radam/cifar10/analysis.py", ["tests/test_cifar10_analysis.py", "tests/test_stats.py"]),
    "questions": ("radam/cifar10/questions.py", ["tests/test_cifar10_questions.py"]),
    "design": ("radam/cifar10/design.py", ["tests/test_cifar10_design.py"]),
    "variants": ("radam/variants.py", ["tests/test_variants.py", "tests/test_numpy.py"]),
    "numpy": ("radam/numpy.py", ["tests/test_numpy.py", "tests/test_optimizer_properties.py"]),
    "keras": ("radam/keras.py", ["tests/test_keras.py", "tests/test_keras_hardening.py",
                                 "tests/test_numpy_keras_agreement.py"]),
}
TENSORFLOW = {"keras"}
"""The modules whose tests import TensorFlow, which hangs in a child forked after the parent imported it (a hung
mutant would count as detected, a timeout). mutmut tests their mutants through its fork server without warm-up
(``process_isolation = forkserver``, ``forkserver_warmup = none``): neither mutmut nor the fork server imports
the tests, so each mutant's process imports TensorFlow afresh. The other modules' runs leave the Keras tests out."""
SAMPLE = {"keras": 60}
"""Mutants scored per module by default, a seeded random sample (see ``--sample``): every mutant of radam.keras
imports TensorFlow anew and runs model.fit-sized tests (see the timings above)."""
FUNCTIONS = {  # the modules scored on some of their functions only: a pattern of mutant names
    # the verdict code: the paired endpoints chapter 8 decides with
    "analysis": re.compile(r"x_endpoint_sweep|x_paired_at_rates|x_epoch_to_epoch_change"),
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


def write_config(folder, target, tests, tensorflow=False):
    """mutmut's setup.cfg in ``folder``: mutate the file ``target``, run the fast ones of ``tests`` (with the Keras
    tests only where ``tensorflow``: see TENSORFLOW)."""
    select = [] if tensorflow else ["-k", "not keras"]
    config = configparser.ConfigParser()
    config["mutmut"] = {
        "source_paths": "radam/",
        "only_mutate": target,
        "pytest_add_cli_args": "\n".join(["-m", "not slow", "-p", "no:cacheprovider", "-q", "-x", *select]),
        "pytest_add_cli_args_test_selection": "\n".join(tests),
    }
    if tensorflow:
        config["mutmut"].update(process_isolation="forkserver", forkserver_warmup="none")
    with open(folder / "setup.cfg", "w", encoding="utf-8") as f:
        config.write(f)


def statuses_of(mutmut, folder, env):
    """{mutant name: status} as ``mutmut results --all true`` lists them."""
    listing = subprocess.run([mutmut, "results", "--all", "true"], cwd=folder, env=env, check=True,
                             capture_output=True, text=True).stdout
    return dict(m.groups() for m in map(STATUS.match, listing.splitlines()) if m)


def all_mutants(mutmut, folder, env, target):
    """The names of every mutant of ``target``, without testing any: mutmut generates them, then stops where it
    finds that the selected test (one that calls nothing mutated) covers none of them."""
    (folder / "tests" / "test_mutmut_listing.py").write_text("def test_nothing():\n    pass\n", encoding="utf-8")
    write_config(folder, target, ["tests/test_mutmut_listing.py"])
    subprocess.run([mutmut, "run"], cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    (folder / "tests" / "test_mutmut_listing.py").unlink()
    names = sorted(statuses_of(mutmut, folder, env))
    if not names:
        raise RuntimeError(f"mutmut generated no mutants in {folder}")
    return names


def binomial_interval(k, n, confidence=0.95):
    """The two-sided Clopper-Pearson interval of a rate after k successes in n trials."""
    upper = clopper_pearson_upper(k, n, confidence=(1 + confidence) / 2)
    lower = 1 - clopper_pearson_upper(n - k, n, confidence=(1 + confidence) / 2)
    return lower, upper


def score_module(name, mutmut, jobs, equivalent, sample=0, seed=0):
    """Run mutmut on one module (on a seeded random ``sample`` of its mutants, if > 0); prints and returns
    (killed, counted, seconds)."""
    target, tests = MODULES[name]
    with tempfile.TemporaryDirectory(prefix=f"mutation-{name}-") as tmp:
        folder = Path(tmp)
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".hypothesis")
        for part in ("radam", "tests"):
            shutil.copytree(ROOT / part, folder / part, ignore=ignore)
        env = dict(os.environ, HYPOTHESIS_PROFILE="default")
        start = time.monotonic()
        chosen = []
        if sample:
            names = [m for m in all_mutants(mutmut, folder, env, target) if name not in FUNCTIONS
                     or FUNCTIONS[name].search(m)]
            chosen = sorted(random.Random(seed).sample(names, min(sample, len(names))))
        write_config(folder, target, tests, tensorflow=name in TENSORFLOW)
        subprocess.run([mutmut, "run", "--max-children", str(jobs), *chosen], cwd=folder, env=env, check=True,
                       stdout=subprocess.DEVNULL)
        seconds = time.monotonic() - start
        statuses = statuses_of(mutmut, folder, env)
        if name in FUNCTIONS:
            statuses = {m: status for m, status in statuses.items() if FUNCTIONS[name].search(m)}
        if chosen:
            statuses = {m: statuses[m] for m in chosen}
        survivors = sorted(m for m, status in statuses.items() if status not in DETECTED and m not in equivalent)
        stale = sorted(m for m, status in statuses.items() if status in DETECTED and m in equivalent)
        prefix = target[:-3].replace("/", ".") + "."
        missing = [] if chosen or name in FUNCTIONS else sorted(
            m for m in equivalent if m.startswith(prefix) and m not in statuses)
        counted = sum(1 for m in statuses if m not in equivalent)
        killed = sum(1 for m, status in statuses.items() if status in DETECTED and m not in equivalent)
        print(f"{name} ({target}): {killed} of {counted} mutants killed "
              f"({100 * killed / max(counted, 1):.1f}%), {len(statuses) - counted} listed as equivalent, "
              f"{seconds / 60:.1f} min", flush=True)
        if chosen:
            low, high = binomial_interval(killed, counted) if counted else (0.0, 1.0)
            print(f"  a random sample (seed {seed}) of {len(chosen)} of the module's {len(names)} mutants: the "
                  f"score of all of them is in [{100 * low:.1f}%, {100 * high:.1f}%] (95%, Clopper-Pearson)")
        for mutant in stale + missing:  # the list names mutants by number: a change renumbers them
            print(f"  listed as equivalent but {'killed' if mutant in stale else 'not generated'}: {mutant} "
                  f"(update {EQUIVALENT_FILE.name})")
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
    parser.add_argument("--sample", type=int, default=None, metavar="N",
                        help=f"score a random sample of N mutants per module, 0 for all (default: {SAMPLE} for those "
                             f"modules, else all)")
    parser.add_argument("--seed", type=int, default=0, help="the sample's random seed (default 0)")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.modules) - set(MODULES))
    if unknown:
        parser.error(f"MODULE must be one of {', '.join(MODULES)}, got {', '.join(unknown)}")
    if args.sample is not None and args.sample < 0:
        parser.error(f"--sample must be >= 0, got {args.sample}")
    if shutil.which(args.mutmut) is None:
        sys.exit(f"mutmut not found ({args.mutmut!r}): see this script's docstring for its installation")
    equivalent = equivalent_mutants()
    total_killed = total = 0
    for name in args.modules or list(MODULES):
        sample = SAMPLE.get(name, 0) if args.sample is None else args.sample
        killed, counted, _ = score_module(name, args.mutmut, args.jobs, equivalent, sample, args.seed)
        total_killed, total = total_killed + killed, total + counted
    sampled = [name for name in args.modules or list(MODULES) if (SAMPLE.get(name, 0) if args.sample is None
                                                                   else args.sample)]
    print(f"core: {total_killed} of {total} mutants killed ({100 * total_killed / max(total, 1):.1f}%)"
          + (f", of {', '.join(sampled)} a sample" if sampled else ""))
    listed = [f"  {name}: {reason}" for name, reason in sorted(equivalent.items())]
    if listed:
        print("equivalent mutants (benchmarks/equivalent_mutants.txt):", *listed, sep="\n")


if __name__ == "__main__":
    main()
