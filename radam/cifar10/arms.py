"""The optimizer arms of the CIFAR-10 experiment: an Arm is a name and the optimizer (and schedule) it trains with."""

import dataclasses
import re

from radam import schedules
from radam._validate import check_beta, check_blog_schedule, check_non_negative


_ARM_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]*")
MAX_NAME = 100
"""The longest arm name: it names checkpoint files (with their temporary names, well under 255 bytes)."""
FLOAT32_MAX = 3.4028234663852886e38
"""The largest float32, the model's number format: a larger learning rate is infinite there."""


@dataclasses.dataclass(frozen=True)
class Arm:
    """One arm of the experiment: a name and the optimizer it trains with.

    ``optimizer`` is "adam" (``keras.optimizers.Adam``), "radam" (:class:`radam.keras.RAdam`) or "sgd"
    (``keras.optimizers.SGD`` with ``momentum``, the paper's baseline; beta_1 and beta_2 are unused there).
    With total_steps > 0 the rate follows the blog's schedule (warmup over total_steps * warmup_proportion
    steps, linear fall to min_lr at total_steps); with warmup_steps > 0 it rises linearly over warmup_steps,
    then stays.
    """

    name: str
    optimizer: str = "adam"
    learning_rate: float = 1e-3
    beta_1: float = 0.9
    beta_2: float = 0.999
    total_steps: int = 0
    warmup_proportion: float = 0.1
    min_lr: float = 0.0
    warmup_steps: float = 0.0
    momentum: float = 0.9

    def __post_init__(self):
        if not isinstance(self.name, str) or not _ARM_NAME.fullmatch(self.name) or len(self.name) > MAX_NAME:
            raise ValueError(
                f"arm name must be 1 to {MAX_NAME} letters, digits and . _ + - (no spaces), got {self.name!r:.120}"
            )
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {', '.join(map(repr, OPTIMIZERS))}, got {self.optimizer!r}")
        set_ = object.__setattr__
        set_(self, "learning_rate", check_non_negative("learning_rate", self.learning_rate))
        if self.learning_rate > FLOAT32_MAX:
            raise ValueError(f"learning_rate must be at most {FLOAT32_MAX:.4g} (float32), got {self.learning_rate!r}")
        set_(self, "beta_1", check_beta("beta_1", self.beta_1))
        set_(self, "beta_2", check_beta("beta_2", self.beta_2))
        blog = check_blog_schedule(self.learning_rate, self.total_steps, self.warmup_proportion, self.min_lr)
        for key, value in zip(("total_steps", "warmup_proportion", "min_lr"), blog):
            set_(self, key, value)
        set_(self, "warmup_steps", check_non_negative("warmup_steps", self.warmup_steps))
        set_(self, "momentum", check_beta("momentum", self.momentum))
        if self.total_steps and self.warmup_steps:
            raise ValueError(
                f"arm {self.name!r}: give total_steps (the blog's schedule) or warmup_steps (warmup only), not both"
            )

    def lr_at(self, t):
        """lr_t, the scheduled learning rate of the update at the 1-based step t (a number or an array)."""
        if self.total_steps:
            schedule = schedules.warmup_then_linear_decay(
                self.learning_rate, self.total_steps, self.warmup_proportion, self.min_lr
            )
        else:
            schedule = schedules.linear_warmup(self.learning_rate, self.warmup_steps)
        return schedule(t)

    def make_optimizer(self):
        """A fresh Keras optimizer for this arm (Keras is imported here: an Arm is data until it trains)."""
        import keras

        from radam.keras import RAdam, WarmupThenLinearDecay

        if self.optimizer == "radam":
            learning_rate = self.learning_rate
            if self.warmup_steps:
                learning_rate = WarmupThenLinearDecay(self.learning_rate, self.warmup_steps)
            return RAdam(
                learning_rate,
                beta_1=self.beta_1,
                beta_2=self.beta_2,
                total_steps=self.total_steps,
                warmup_proportion=self.warmup_proportion,
                min_lr=self.min_lr,
            )
        learning_rate = self.learning_rate
        if self.total_steps:
            warmup = self.total_steps * self.warmup_proportion
            learning_rate = WarmupThenLinearDecay(self.learning_rate, warmup, self.total_steps, self.min_lr)
        elif self.warmup_steps:
            learning_rate = WarmupThenLinearDecay(self.learning_rate, self.warmup_steps)
        if self.optimizer == "sgd":
            return keras.optimizers.SGD(learning_rate, momentum=self.momentum)
        return keras.optimizers.Adam(learning_rate, beta_1=self.beta_1, beta_2=self.beta_2)

    def config(self):
        """The arm's fields as a plain dict; ``Arm(**arm.config())`` rebuilds it."""
        return dataclasses.asdict(self)

    def scaled(self, steps_per_epoch):
        """This arm with the blog's schedule lasting as many epochs as it did on the full data.

        The blog's total_steps=5000 were 6.4 epochs of ``FULL_DATA_STEPS_PER_EPOCH`` steps; with fewer
        images an epoch has fewer steps, so total_steps becomes round(total_steps * steps_per_epoch / 782).
        Warmups in steps (warmup_steps) stay: they are tied to beta_2, not to the data. An arm without the
        blog's schedule is returned unchanged.
        """
        if not self.total_steps:
            return self
        total_steps = max(round(self.total_steps * steps_per_epoch / FULL_DATA_STEPS_PER_EPOCH), 1)
        return dataclasses.replace(self, total_steps=total_steps)

    def at_learning_rate(self, learning_rate):
        """This arm at another base learning rate, named NAME-lrLR (e.g. ``radam-lr0.003``), for a sweep."""
        return dataclasses.replace(self, name=f"{self.name}-lr{learning_rate:g}", learning_rate=learning_rate)


def sweep_name(name):
    """(base arm, learning rate or None) of an arm named by :meth:`Arm.at_learning_rate` (``radam-lr0.003``)."""
    base, sep, rate = name.rpartition("-lr")
    if sep:
        try:
            return base, float(rate)
        except ValueError:
            pass
    return name, None


OPTIMIZERS = ("adam", "radam", "sgd")
"""The optimizers an arm can train with."""
FULL_DATA_STEPS_PER_EPOCH = 782
"""Steps per epoch on all 50,000 training images in batches of 64, as in the blog: ceil(50000 / 64)."""
SGD_LEARNING_RATE = 0.01
"""The named ``sgd`` arm's rate among 0.003, 0.01, 0.03 and 0.1: the one with the highest validation endpoint in
book/results/sgd-rates (seed 100, 80 epochs with augmentation), as it was the one with the highest final accuracy
in book/results/sgd-sweep (seed 0, 33 epochs on the subset, validated on the test images)."""


NAMED_ARMS = {
    arm.name: arm
    for arm in (
        Arm("adam"),
        Arm("adam-warmup", warmup_steps=schedules.untuned_warmup_steps(0.999)),
        Arm("adam-blog", total_steps=5000, warmup_proportion=0.1, min_lr=1e-5),
        Arm("radam", "radam"),
        Arm("radam-blog", "radam", total_steps=5000, warmup_proportion=0.1, min_lr=1e-5),
        Arm("sgd", "sgd", learning_rate=SGD_LEARNING_RATE, momentum=0.9),
    )
}
"""The named arms: the blog's two (adam, radam-blog) and the controls that separate optimizer from schedule:
Adam with the untuned warmup 2 / (1 - beta_2) (adam-warmup), Adam with the blog's schedule (adam-blog),
RAdam at a constant rate (radam), and SGD with momentum 0.9 (sgd), the baseline of the RAdam paper."""


def book_order(arms):
    """``arms`` (Arms) in the order the book lists them: the named arms in :data:`NAMED_ARMS` order, each
    followed by its sweep variants (``NAME-lrLR``) by rate, then any other arm in its given order."""
    named = list(NAMED_ARMS)

    def key(item):
        position, arm = item
        base, rate = sweep_name(arm.name)
        if base in named:
            return named.index(base), 0 if rate is None else 1, rate or 0.0, position
        return len(named), 0, 0.0, position

    return [arm for _, arm in sorted(enumerate(arms), key=key)]


def get_arm(name):
    """The named arm ``name`` (see :data:`NAMED_ARMS`)."""
    if name not in NAMED_ARMS:
        raise ValueError(f"unknown arm {name!r}; choose from {', '.join(NAMED_ARMS)}, or define a custom arm")
    return NAMED_ARMS[name]


def parse_arm(spec):
    """A custom arm from ``"NAME:key=value,key=value"``, keys being Arm fields, e.g.
    ``"radam-b0.99:optimizer=radam,beta_2=0.99"``; ``warmup_steps=untuned`` means 2 / (1 - beta_2)."""
    name, _, body = spec.partition(":")
    fields = {f.name: f.type for f in dataclasses.fields(Arm) if f.name != "name"}
    values = {}
    for item in filter(None, body.split(",")):
        key, eq, text = item.partition("=")
        key = key.strip().replace("-", "_")
        if key not in fields or not eq:
            raise ValueError(f"arm spec {spec!r}: expected key=value with a key from {', '.join(fields)}, got {item!r}")
        values[key] = text.strip()
    converted = {}
    for key, text in values.items():
        if fields[key] is str or (key == "warmup_steps" and text == "untuned"):
            converted[key] = text
            continue
        try:
            converted[key] = int(text) if fields[key] is int else float(text)
        except ValueError:
            raise ValueError(f"arm spec {spec!r}: {key} must be a number, got {text!r}") from None
    if converted.get("warmup_steps") == "untuned":
        converted["warmup_steps"] = schedules.untuned_warmup_steps(converted.get("beta_2", 0.999))
    return Arm(name.strip(), **converted)
