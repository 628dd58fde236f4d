"""The command line: ``python -m radam.cifar10 --help``."""

import argparse
import os
import sys

from radam.cifar10.arms import NAMED_ARMS, get_arm, parse_arm
from radam.cifar10.data import one_line
from radam.cifar10.results import format_summary, summary_table
from radam.cifar10.provenance import command_line
from radam.cifar10.runner import run_experiment
from radam.cifar10.settings import MAX_SEED


class _Parser(argparse.ArgumentParser):
    """argparse, with errors on one line (no usage block)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {one_line(message)} (see --help)\n")


def _whole(minimum, maximum=None):
    def convert(text):
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < minimum or (maximum is not None and value > maximum):
            bound = f">= {minimum}" if maximum is None else f"in [{minimum}, {maximum}]"
            raise argparse.ArgumentTypeError(f"must be a whole number {bound}, got {text!r}")
        return value

    return convert


def _rate(text):
    try:
        value = float(text)
    except ValueError:
        value = None
    if value is None or not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a learning rate > 0, got {text!r}")
    return value


def _parser():
    parser = _Parser(
        prog="python -m radam.cifar10",
        description="Train the blog's CIFAR-10 CNN with several optimizer arms and seeds; resumable.",
        epilog=f"Named arms: {', '.join(NAMED_ARMS)}. Example: --custom 'radam-b0.99:optimizer=radam,beta_2=0.99' "
        "--arms adam radam-b0.99. Data: --data-dir, else $RADAM_CIFAR10_DIR, else Keras's cache, else download.",
    )
    add = parser.add_argument
    add("--arms", nargs="+", default=["adam", "radam-blog", "radam", "adam-warmup"], metavar="ARM",
        help="arms to train, in order (default: adam radam-blog radam adam-warmup)")
    add("--custom", action="append", default=[], metavar="SPEC",
        help="define an arm as NAME:key=value,... with keys optimizer (adam|radam|sgd), learning_rate, beta_1, "
        "beta_2, total_steps, warmup_proportion, min_lr, warmup_steps (a number or 'untuned'), momentum; repeatable")
    add("--learning-rates", type=_rate, nargs="+", metavar="LR",
        help="a sweep: train each arm at each of these base learning rates instead of its own, as arms named "
        "ARM-lrLR (e.g. radam-lr0.003)")
    add("--scale-schedules", action="store_true",
        help="let the blog's schedule (total_steps) last as many epochs as on the full 50,000 images "
        "(total_steps * steps per epoch / 782), for runs on fewer images")
    add("--epochs", type=_whole(1), default=30, help="epochs per run (default 30; the blog had 100)")
    add("--seeds", type=_whole(0, MAX_SEED), nargs="+", default=[0], help="seeds (default 0), below 2**32")
    add("--out", default=os.path.join("results", "cifar10"), help="results folder (default results/cifar10)")
    add("--data-dir", help="folder with the CIFAR-10 python-version batch files")
    add("--train-limit", type=_whole(1), help="use only the first N training images")
    add("--test-limit", type=_whole(1), help="use only the first N test images")
    add("--batch-size", type=_whole(1), default=64, help="batch size (default 64, as in the blog)")
    add("--validation-images", type=_whole(0), default=0, metavar="N",
        help="hold out N training images (one fixed split for every seed) to validate on; default 0: validate "
        "on the test set")
    add("--augment", action="store_true",
        help="mirror and shift (up to 4 pixels) each training image anew every epoch, alike for every arm")
    add("--restart", action="store_true",
        help="discard the saved runs of these arms and seeds in --out instead of resuming them (others stay)")
    add("--quiet", action="store_true", help="no progress bar")
    add("--mixed-precision", action="store_true", help="float16 compute with loss scaling (GPU)")
    add("--distribute", action="store_true", help="tf.distribute.MirroredStrategy over all GPUs")
    add("--deterministic", action="store_true", help="tf.config.experimental.enable_op_determinism()")
    return parser


def parse_args(argv):
    """The command line's arguments (argparse namespace); errors exit with status 2 and one line."""
    return _parser().parse_args(argv)


def arms_from_args(args):
    """The arms a command line trains: named or --custom ones, expanded over --learning-rates (unscaled)."""
    custom = {arm.name: arm for arm in map(parse_arm, args.custom)}
    arms = [custom[name] if name in custom else get_arm(name) for name in args.arms]
    if args.learning_rates:
        arms = [arm.at_learning_rate(lr) for arm in arms for lr in args.learning_rates]
    return arms


def main(argv=None):
    """The command line: train, print where the results are and the summary table. Returns the exit status."""
    parser = _parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv)
    try:
        arms = arms_from_args(args)
        results = run_experiment(
            arms,
            args.epochs,
            args.seeds,
            data_dir=args.data_dir,
            train_limit=args.train_limit,
            test_limit=args.test_limit,
            batch_size=args.batch_size,
            validation_images=args.validation_images,
            augment=args.augment,
            out_dir=args.out,
            restart=args.restart,
            progress=not args.quiet,
            mixed_precision=args.mixed_precision,
            distribute=args.distribute,
            deterministic=args.deterministic,
            scale_schedules=args.scale_schedules,
            command=command_line(["python", *argv]),
        )
    except (ValueError, OSError) as e:
        print(f"{parser.prog}: error: {one_line(e)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"\n{parser.prog}: interrupted; run the same command again to resume", file=sys.stderr)
        return 130
    data = results.settings["data"]
    held = f", {data['used_validation']:,} validation" if data.get("used_validation") else ""
    used = f"{data['used_train']:,} training{held} and {data['used_test']:,} test images used"
    print(f"Data: {data['folder']} ({data['found_via']}): {used}")
    print(f"Results: {os.path.join(args.out, 'results.json')} and results.csv")
    print(format_summary(summary_table(results)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
