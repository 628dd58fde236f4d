"""The runner's progress bar: one plain-text line per run, redrawn in place."""

import time

import keras


class ProgressBar(keras.callbacks.Callback):
    """One plain-text line per run, redrawn in place with a carriage return (terminals and notebooks alike):
    the epochs done as a bar, then the last epoch's loss, accuracies, rate and speed."""

    async_safe = True

    def __init__(self, label, epochs, steps_per_epoch, stream, interval=0.5):
        super().__init__()
        self.label, self.epochs, self.steps_per_epoch = label, epochs, steps_per_epoch
        self.stream, self.interval = stream, interval
        self.epoch, self.status, self.shown, self.length = 0, "", 0.0, 0

    def draw(self, done, force=False):
        now = time.monotonic()
        if not force and now - self.shown < self.interval:
            return
        self.shown = now
        width = 20
        filled = round(width * done / self.epochs)
        bar = "#" * filled + "-" * (width - filled)
        line = f"{self.label} [{bar}] {done:.1f}/{self.epochs} epochs {self.status}"
        self.stream.write("\r" + line.ljust(self.length))
        self.stream.flush()
        self.length = len(line)

    def on_train_batch_end(self, batch, logs=None):
        self.draw(self.epoch + (batch + 1) / self.steps_per_epoch)

    def end_epoch(self, record):
        self.epoch = record["epoch"]
        loss, accuracy, val_accuracy = (
            "diverged" if record[key] is None else f"{record[key]:.3f}"
            for key in ("train_loss", "train_accuracy", "val_accuracy")
        )
        self.status = (
            f"| epoch {self.epoch}: loss {loss} acc {accuracy} val_acc {val_accuracy} "
            f"lr {record['learning_rate']:.2e} {record['images_per_second']:.0f} img/s"
        )
        self.draw(self.epoch, force=True)

    def close(self):
        self.draw(self.epoch, force=True)
        self.stream.write("\n")
        self.stream.flush()
