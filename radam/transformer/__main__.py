"""The command line: ``python -m radam.transformer --help``."""

import argparse
import dataclasses
import os
import sys
import time

from radam.cifar10 import provenance, store
from radam.transformer import fingerprint, live, results
from radam.transformer.arms import ARMS

DEFAULT_ARMS = ("Adam", "Adam + warmup", "RAdam", "Adam, lr/10", "Adam, v known", "Adam, exact early gradients")


def _parser():
    from radam.transformer.experiment import Settings

    parser = argparse.ArgumentParser(
        prog="python -m radam.transformer",
        description="Train the post-LN Transformer on a synthetic task with several arms and seeds, into a "
        "results folder (results.json); rerun the same command to resume.",
        epilog="Arms: " + "; ".join(f"'{name}': {what}" for name, what in ARMS.items()),
    )
    add = parser.add_argument
    add("--out", required=True, help="results folder (created; resumed when it holds results of these settings)")
    add("--arms", nargs="+", default=list(DEFAULT_ARMS), choices=list(ARMS), metavar="ARM",
        help="arms to train, in order (default: all)")
    add("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4], metavar="SEED", help="default: 0 1 2 3 4")
    for field in dataclasses.fields(Settings):
        kind = str if field.type in (str, "str") else float if field.type in (float, "float") else int
        add("--" + field.name.replace("_", "-"), type=kind, default=field.default, help=f"default: {field.default}")
    return parser


def main(argv=None):
    argv = sys.argv if argv is None else argv
    args = _parser().parse_args(argv[1:])
    from radam.transformer.experiment import Settings, run

    try:
        settings = Settings(**{f.name: getattr(args, f.name) for f in dataclasses.fields(Settings)})
        os.makedirs(args.out, exist_ok=True)
        handle = store.lock(args.out)
        content = results.load(args.out)
    except ValueError as error:
        print(f"python -m radam.transformer: error: {error}", file=sys.stderr)
        return 2
    with handle:
        data = settings.make_task()
        if content is None:
            content = results.new(dataclasses.asdict(settings), fingerprint.fingerprint(settings, data, args.seeds,
                                                                                        args.arms))
        elif content["settings"] != dataclasses.asdict(settings):
            print(f"python -m radam.transformer: error: {args.out} holds results of other settings "
                  f"({content['settings']}); use another --out", file=sys.stderr)
            return 2
        else:
            problems = fingerprint.stale_parts(content)
            if problems:
                print(f"python -m radam.transformer: error: this code would not reproduce the results in {args.out} "
                      f"({'; '.join(problems)}); use another --out", file=sys.stderr)
                return 2
            stored = content["fingerprint"]
            seeds = sorted(set(args.seeds) | {int(s) for s in stored["batches"]})
            arms = list(dict.fromkeys([*stored.get("update_probes", {}), *args.arms]))
            if seeds != sorted(int(s) for s in stored["batches"]) or arms != list(stored.get("update_probes", {})):
                content["fingerprint"] = fingerprint.fingerprint(settings, data, seeds, arms)
                results.save(args.out, content)
        started, clock = provenance.now(), time.perf_counter()
        command = provenance.command_line(argv, program="python -m radam.transformer")
        todo = [(arm, seed) for seed in args.seeds for arm in args.arms if (arm, seed) not in results.done(content)]
        for arm, seed in todo:
            record = run(arm, seed, settings, data)
            content["runs"].append(record)
            print(f"{arm}, seed {seed}: endpoint {record['endpoint']:.3f}{' (failed)' if record['failed'] else ''}, "
                  f"{record['wall_time_s']:.0f} s", flush=True)
            results.save(args.out, content)
        if todo:
            made = provenance.provenance(command, started, provenance.now(), time.perf_counter() - clock,
                                         sources=fingerprint.NUMBER_SOURCES)
            content["provenance"].append(dict(made, threads=live.thread_settings()))
            results.save(args.out, content)
    for arm in results.arms(content):
        print(f"{arm}: {results.failures(content, arm)[0]} of {results.failures(content, arm)[1]} runs failed")
    for verdict in results.verdicts(content):
        print(verdict.verdict("held-out token accuracy"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
