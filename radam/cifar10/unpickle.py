"""The restricted unpickler of CIFAR-10's python-version batch files: it builds only the few objects a batch holds
(a dict of bytes, lists of ints and one uint8 array) and refuses every other global, and bounds what the file may
allocate by the file's size, so a tampered file can neither run code nor exhaust memory."""

import math
import pickle
import re
import reprlib

import numpy as np


MAX_IMAGES = 10_000
"""Images in one official batch file: an array larger than that many rows of 3072 values is refused before it is
allocated."""
_ROW_VALUES = 3072  # 32 x 32 pixels x 3 channels
_BUDGET_PER_FILE_BYTE = 2
"""The allowed constructors together may produce at most this many bytes per byte of the file: a Python-3 protocol-2
pickle holds the pixels once as text, which becomes bytes (1x) and then the array (1x)."""


_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = _REPR.maxlong = 40


def _brief(obj):
    """A short repr of something the file built, for an error message (never the whole of a long object)."""
    try:
        return _REPR.repr(obj)
    except ValueError:  # an int too long to print
        return f"<{type(obj).__name__}>"


class Rejected(Exception):
    """Raised inside unpickling for a global that a CIFAR-10 batch never references."""


class Refused(Exception):
    """Raised inside unpickling for an array (or bytes) that a CIFAR-10 batch file of this size cannot hold."""


class _ArrayType:
    """Stands for ``numpy.ndarray`` in a batch pickle: only :meth:`BatchUnpickler._reconstruct` accepts it, and
    calling it (a pickle's REDUCE) allocates nothing."""

    __slots__ = ()

    def __call__(self, *args, **kwargs):
        raise Refused(f"numpy.ndarray{_brief(args)} (numpy pickles arrays through _reconstruct, never so)")

    def __repr__(self):
        return "numpy.ndarray"


_NDARRAY = _ArrayType()
_DTYPE_NAME = re.compile(r"[biufc]\d{1,2}")
_BYTE_ORDERS = ("<", ">", "|", "=")


class _DtypeSpec:
    """What ``numpy.dtype(name, align, copy)`` plus its pickled state describe; numpy sees only the checked result.

    The pickled state of a plain dtype is ``(3, byteorder, None, None, None, -1, -1, 0)``: anything else (fields,
    sub-arrays, flags) is refused, so no pickled state ever reaches numpy's own ``dtype.__setstate__``.
    """

    def __init__(self, name):
        self.dtype = np.dtype(name)

    def __setstate__(self, state):
        if (
            not isinstance(state, tuple)
            or len(state) != 8
            or state[0] not in (3, 4)
            or state[2:] != (None, None, None, -1, -1, 0)
        ):
            raise Refused(f"numpy.dtype state {_brief(state)}")
        order = state[1].decode("latin1") if isinstance(state[1], bytes) else state[1]
        if order not in _BYTE_ORDERS:
            raise Refused(f"numpy.dtype byte order {_brief(order)}")
        if order in "<>":
            self.dtype = self.dtype.newbyteorder(order)


def _check_shape(shape):
    if (
        not isinstance(shape, tuple)
        or len(shape) > 8
        or any(isinstance(n, bool) or not isinstance(n, int) or n < 0 for n in shape)
    ):
        raise Refused(f"an array shape {_brief(shape)}")
    return math.prod(shape)


class _PendingArray(np.ndarray):
    """The empty array ``_reconstruct`` returns; its ``__setstate__`` checks the pickled shape, dtype and bytes
    (and charges the unpickler's budget) before numpy allocates anything. Viewed as a plain ndarray after loading."""

    def __setstate__(self, state):
        unpickler = getattr(self, "_unpickler", None)
        if unpickler is None or not isinstance(state, tuple) or len(state) not in (4, 5):
            raise Refused("an array state that numpy does not write")
        shape, spec, fortran, raw = state[-4:]
        if len(state) == 5 and state[0] != 1:
            raise Refused(f"array state version {_brief(state[0])}")
        if not isinstance(spec, _DtypeSpec) or not isinstance(fortran, (bool, int)) or not isinstance(raw, bytes):
            raise Refused("an array state that numpy does not write")
        nbytes = unpickler.check_array(shape, spec.dtype, len(raw))
        unpickler.spend(nbytes)
        self._unpickler = None
        np.ndarray.__setstate__(self, (1, shape, spec.dtype, bool(fortran), raw))


class BatchUnpickler(pickle.Unpickler):
    """An unpickler that resolves only the few globals a CIFAR-10 batch references, each a checked stand-in:
    loading never runs code named by the file, and never builds more than the file's bytes account for.

    Allowed: NumPy's array reconstruction (``numpy.core.multiarray._reconstruct``, ``numpy.ndarray``,
    ``numpy.dtype``: the original files, written by Python 2, use only these), ``numpy.core.numeric._frombuffer``
    (protocol-5 pickles, as NumPy 2 writes them with ``pickle.dumps(batch, protocol=5)``), and how Python 3 writes
    bytes into protocol-2 pickles (``_codecs.encode`` for latin-1, ``bytes()``). Every array must hold exactly the
    bytes the file gives for it, at most :data:`MAX_IMAGES` rows of 3072 values, and everything these constructors
    produce together is bounded by the file's size.
    """

    def __init__(self, file, size):
        super().__init__(file, encoding="bytes")
        self.budget = _BUDGET_PER_FILE_BYTE * size
        reconstruct, frombuffer = self._reconstruct, self._frombuffer
        self.allowed = {
            ("numpy", "ndarray"): _NDARRAY,
            ("numpy", "dtype"): self._dtype,
            ("numpy.core.multiarray", "_reconstruct"): reconstruct,
            ("numpy._core.multiarray", "_reconstruct"): reconstruct,
            ("numpy.core.numeric", "_frombuffer"): frombuffer,
            ("numpy._core.numeric", "_frombuffer"): frombuffer,
            ("_codecs", "encode"): self._latin1_encode,
            ("__builtin__", "bytes"): self._empty_bytes,
        }

    def find_class(self, module, name):
        if (module, name) not in self.allowed:
            raise Rejected(f"{module}.{name}")
        return self.allowed[module, name]

    def spend(self, nbytes):
        if nbytes > self.budget:
            raise Refused(f"more data than the file holds ({nbytes:,} bytes more than its size allows)")
        self.budget -= nbytes

    @staticmethod
    def check_array(shape, dtype, given):
        """The array's size in bytes, after checking it against MAX_IMAGES and the bytes ``given`` for it."""
        values = _check_shape(shape)
        if values > MAX_IMAGES * _ROW_VALUES:
            raise Refused(
                f"an array of shape {shape} (more than the {MAX_IMAGES:,} images of an official CIFAR-10 batch)"
            )
        nbytes = values * dtype.itemsize
        if given != nbytes:
            raise Refused(f"an array of shape {shape} and dtype {dtype} ({nbytes:,} bytes) from {given:,} bytes")
        return nbytes

    def _latin1_encode(self, text, encoding="latin1"):
        """``_codecs.encode`` as Python 3 writes bytes into protocol-2 pickles, for the latin-1 codec only."""
        if encoding not in ("latin1", "latin-1") or not isinstance(text, str):
            raise pickle.UnpicklingError(f"_codecs.encode with encoding {_brief(encoding)}")
        self.spend(len(text))
        return text.encode("latin1")

    def _empty_bytes(self):
        """``bytes()``, as Python 3 writes b"" into protocol-2 pickles (never bytes(n): no size from the file)."""
        return b""

    def _dtype(self, name, align=False, copy=False):
        if isinstance(name, bytes):
            name = name.decode("latin1")
        if not isinstance(name, str) or not _DTYPE_NAME.fullmatch(name) or align not in (0, 1) or copy not in (0, 1):
            raise Refused(f"numpy.dtype{_brief((name, align, copy))}")
        try:
            return _DtypeSpec(name)
        except TypeError:
            raise Refused(f"numpy.dtype({name!r})") from None

    def _reconstruct(self, subtype, shape, typecode):
        """``_reconstruct(ndarray, (0,), b'b')``, as numpy pickles every array: an empty array awaiting its state."""
        if subtype is not _NDARRAY or _check_shape(shape) != 0 or typecode not in (b"b", "b"):
            raise Refused(f"numpy _reconstruct{_brief((subtype, shape, typecode))}")
        array = _RECONSTRUCT(_PendingArray, (0,), b"b")
        array._unpickler = self
        return array

    def _frombuffer(self, buffer, spec, shape, order):
        """``_frombuffer(buffer, dtype, shape, order)``, as numpy pickles contiguous arrays with protocol 5."""
        if not isinstance(buffer, (bytes, bytearray)) or not isinstance(spec, _DtypeSpec) or order not in ("C", "F"):
            raise Refused("a numpy _frombuffer call that numpy does not write")
        nbytes = self.check_array(shape, spec.dtype, len(buffer))
        self.spend(nbytes)
        return np.frombuffer(buffer, dtype=spec.dtype).reshape(shape, order=order).copy(order="K")


_RECONSTRUCT = np.ndarray.__reduce__(np.zeros(0))[0]
