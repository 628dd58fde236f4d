"""RAdam (Rectified Adam) from scratch: the package behind the teaching book.

Importing ``radam`` is instant and never imports TensorFlow; the Keras optimizer lives in
``radam.keras`` and the CIFAR-10 experiment in ``radam.cifar10``.
"""

__version__ = "0.1.0"
