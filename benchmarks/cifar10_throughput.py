"""Training throughput: the blog's plain ``model.fit(x, y, batch_size=64)`` against our runner, side by side.

Both train the blog's CNN with Adam(1e-3) for one epoch at a time, alternately in one process: the runner's
``on_epoch_end`` hook runs one blog epoch after each of the runner's epochs. The first epoch of each (tracing)
is left out. Figures per side are medians over the repetitions, in training images per second:

    training, wall     the fit call without its validation part (blog: NumPy arrays, one-hot labels; runner:
                       its tf.data pipeline)
    full epoch, wall   training plus validation on the test set (blog: fit with validation_data; runner: fit,
                       evaluate, the checkpoint and results.json / results.csv)
    full epoch, CPU    the same per second of this process's CPU time, which other processes sharing the
                       cores disturb less than wall time

Run with the data the book uses, e.g.::

    RADAM_CIFAR10_DIR=/work/shared/data/cifar10-subset python benchmarks/cifar10_throughput.py --repeats 4
"""

import argparse
import os
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
    parts = ("training, wall", "full epoch, wall", "full epoch, CPU")
    speeds = {side: {part: [] for part in parts} for side in ("blog", "runner")}
    clock = _ValidationClock()
    last = {}

    def blog_epoch(record):
        runner_wall, runner_cpu = time.perf_counter() - last.get("wall", 0), time.process_time() - last.get("cpu", 0)
        wall, cpu = time.perf_counter(), time.process_time()
        blog.fit(x_blog, y_blog, batch_size=64, epochs=1, validation_data=validation, verbose=0, callbacks=[clock])
        blog_wall, blog_cpu = time.perf_counter() - wall, time.process_time() - cpu
        if record["epoch"] > 1:
            measured = {
                "blog": (n / (blog_wall - clock.seconds), n / blog_wall, n / blog_cpu),
                "runner": (record["images_per_second"], n / runner_wall, n / runner_cpu),
            }
            for side, values in measured.items():
                for part, value in zip(parts, values):
                    speeds[side][part].append(value)
            print(
                f"epoch {record['epoch']}: training runner {measured['runner'][0]:.0f} img/s, "
                f"blog {measured['blog'][0]:.0f} img/s (load average {os.getloadavg()[0]:.1f})"
            )
        last.update(wall=time.perf_counter(), cpu=time.process_time())

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

    print(f"\nmedians over {args.repeats} epochs each, in training images per second (of wall time or of CPU time)")
    print(f"{'':18} {'blog fit':>9} {'runner':>9} {'runner/blog':>12}")
    for part in parts:
        blog_speed, runner_speed = statistics.median(speeds["blog"][part]), statistics.median(speeds["runner"][part])
        print(f"{part:18} {blog_speed:9.0f} {runner_speed:9.0f} {runner_speed / blog_speed:11.2f}x")
    ratios = np.array(speeds["runner"][parts[0]]) / np.array(speeds["blog"][parts[0]])
    print(f"training ratio per epoch: {', '.join(f'{r:.2f}' for r in ratios)}")


if __name__ == "__main__":
    main()
