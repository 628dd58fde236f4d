"""What a notebook runs on: the first cell of every chapter prints it (without importing TensorFlow)."""

import platform
import shutil
import subprocess
import sys

import numpy as np

import radam


def gpus():
    """Names of the NVIDIA GPUs that ``nvidia-smi -L`` lists (empty without a GPU or a driver)."""
    if shutil.which("nvidia-smi") is None:
        return []
    try:
        listing = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [line.split(":", 1)[1].split("(UUID")[0].strip() for line in listing.splitlines() if ":" in line]


def report():
    """One line: package and Python versions, Colab or not, and the GPU if there is one."""
    where = "Google Colab" if "google.colab" in sys.modules else platform.system()
    found = gpus()
    gpu = ", ".join(found) if found else "none (CPU only)"
    return f"radam {radam.__version__} | Python {platform.python_version()} | NumPy {np.__version__} | {where} | GPU: {gpu}"
