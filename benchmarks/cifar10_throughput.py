"""Training throughput: the blog's plain ``model.fit(x, y, batch_size=64)`` against our runner, side by side.

Both train the blog's CNN with Adam(1e-3) for one epoch at a time, alternately in one process: the runner's
``on_epoch_end`` hook runs one blog epoch after each of the runner's epochs. The first epoch of each (tracing)
is left out. Two figures per side, as medians over the repetitions, in training images per second:

    training   the fit call without its validation part (blog: NumPy arrays, one-hot labels; runner: its
               tf.data pipeline)
    full epoch training plus validation on the test set (blog: fit with validation_data; runner: fit,
               evaluate, the checkpoint and results.json / results.csv)

Run with the data the book uses, e.g.::

    RADAM_CIFAR10_DIR=/work/shared/data/cifar10-subset python benchmarks/cifar10_throughput.py --repeats 4
"""

import argparse
import statistics
import tempfile
import time

import keras
import numpy as np

from radam import cifar10


class _ValidationClock(keras.callbacks.Callback):
    """How long the validation part of a one-epoch fit took."""

    def on_test_begin(self, logs=None):
        self.start = time.perf_counter()

    def on_test_end(self, logs=None):
        self.seconds = time.perf_counter() - self.start


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=4, help="timed epochs per side (default 4)")
    parser.add_argument("--train-limit", type=int, help="use only the first N training images")
    args = parser.parse_args()

    data, info = cifar10.load_cifar10(with_info=True)
    (x_train, y_train), (x_test, y_test) = data
    x_train, y_train = x_train[: args.train_limit], y_train[: args.train_limit]
    print(info, f"- using {len(x_train):,} training images, batch 64")

    # The blog's code: floats scaled up front, one-hot labels, categorical cross-entropy.
    keras.utils.set_random_seed(0)
    blog = cifar10.build_model()
    blog.compile(optimizer=keras.optimizers.Adam(1e-3), loss="categorical_crossentropy", metrics=["accuracy"])
    x_blog, y_blog = x_train.astype("float32") / 255.0, keras.utils.to_categorical(y_train, 10)
    validation = (x_test.astype("float32") / 255.0, keras.utils.to_categorical(y_test, 10))

    n = len(x_train)
    speeds = {"blog": {"training": [], "full epoch": []}, "runner": {"training": [], "full epoch": []}}
    clock = _ValidationClock()
    last = {"end": None}

    def blog_epoch(record):
        runner_full = time.perf_counter() - last["end"] if last["end"] else None
        start = time.perf_counter()
        blog.fit(x_blog, y_blog, batch_size=64, epochs=1, validation_data=validation, verbose=0, callbacks=[clock])
        blog_full = time.perf_counter() - start
        if record["epoch"] > 1:
            speeds["runner"]["training"].append(record["images_per_second"])
            speeds["runner"]["full epoch"].append(n / runner_full)
            speeds["blog"]["training"].append(n / (blog_full - clock.seconds))
            speeds["blog"]["full epoch"].append(n / blog_full)
            print(
                f"epoch {record['epoch']}: runner {speeds['runner']['training'][-1]:.0f} img/s, "
                f"blog {speeds['blog']['training'][-1]:.0f} img/s (training)"
            )
        last["end"] = time.perf_counter()

    with tempfile.TemporaryDirectory() as out_dir:
        cifar10.run_experiment(
            ["adam"],
            args.repeats + 1,
            [0],
            data=((x_train, y_train), (x_test, y_test)),
            out_dir=out_dir,
            progress=False,
            on_epoch_end=blog_epoch,
        )

    print(f"\nmedian of {args.repeats} epochs each, training images per second")
    print(f"{'':12} {'blog fit':>10} {'runner':>10} {'runner/blog':>12}")
    for part in ("training", "full epoch"):
        blog_speed = statistics.median(speeds["blog"][part])
        runner_speed = statistics.median(speeds["runner"][part])
        print(f"{part:12} {blog_speed:10.0f} {runner_speed:10.0f} {runner_speed / blog_speed:11.2f}x")
    ratios = np.array(speeds["runner"]["training"]) / np.array(speeds["blog"]["training"])
    print(f"per-epoch training ratios: {', '.join(f'{r:.2f}' for r in ratios)}")


if __name__ == "__main__":
    main()
