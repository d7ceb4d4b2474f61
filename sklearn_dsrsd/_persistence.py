"""Safe persistence: estimators saved as JSON plus tensors, loaded without unpickling code.

A file written by :func:`save_estimator` is a ``torch.save`` archive of one dict that
holds only str, int, list and tensors:

- ``format`` (``"sklearn-dsrsd"``), ``format_version``, ``package_version``,
  ``torch_version`` and ``class`` (the estimator's class name);
- ``state``: JSON text with the estimator's parameters (``get_params(deep=False)``)
  and its fitted state (every instance attribute that is not a parameter), each
  value encoded by :class:`_Encoder`, and for DSRSD the fusion that ``fusion="auto"``
  built (``resolved_params``), which load keeps should a later version resolve "auto"
  otherwise;
- ``tensors``: the arrays and network weights that ``state`` refers to by position.

:func:`load_estimator` reads it with ``torch.load(weights_only=True)``, whose
unpickler refuses anything but tensors and plain containers, so a tampered file
cannot run code. Objects are then re-created by this module from allow-lists only:
the package's estimator classes and :data:`_ALLOWED_CLASSES`. skorch nets are not
stored as objects: their module's ``state_dict`` and their history are (with, for a
net that still trains, its optimiser's state and its random generators' states, so
that ``partial_fit`` continues as it would have), and the net is rebuilt by the
estimator's own ``_build_net``.
"""

from __future__ import annotations

import inspect
import json
import math
import os
import pickle
import warnings
import zipfile
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np
import sklearn
import torch
from sklearn.preprocessing import LabelEncoder
from sklearn.utils._metadata_requests import SIMPLE_METHODS
from sklearn.utils.validation import check_is_fitted
from skorch import NeuralNet
from skorch.callbacks import LRScheduler
from skorch.history import History

from . import _base
from ._base import (
    MultimodalNetEstimator,
    _check_device,
    _reshaping_changes,
    _set_missing_do_early_stopping,
)
from ._inputs import ModalitySchema
from ._training import ResumableLRScheduler

__all__ = ["load", "load_estimator", "save_estimator"]

FORMAT = "sklearn-dsrsd"
FORMAT_VERSION = 1

# Objects of these classes are stored as their instance ``__dict__`` and re-created with
# ``cls.__new__`` on load; the names are what the file records. Only exact instances are
# accepted at save: a subclass would silently come back as its base class.
_ALLOWED_CLASSES: dict[str, type] = {
    "sklearn_dsrsd.ModalitySchema": ModalitySchema,
    "sklearn.preprocessing.LabelEncoder": LabelEncoder,
}
_ALLOWED_NAMES = {cls: name for name, cls in _ALLOWED_CLASSES.items()}

# Attributes derived from others, rebuilt on load rather than stored.
_DERIVED_ATTRIBUTES = frozenset({"_inference_modules"})

# Attributes that ``fit`` sets on a skorch net after building it (so ``_build_net`` does
# not reproduce them); only these may be restored on a rebuilt net.
_NET_ATTRIBUTES = ("prototype_bin_edges",)

# numpy dtypes that become tensors of the same dtype; other fixed-size dtypes are stored
# as their raw bytes (a uint8 tensor), str and object arrays as JSON lists.
_TORCH_DTYPES = {
    np.dtype(numpy_type): torch_type
    for numpy_type, torch_type in [
        (np.bool_, torch.bool),
        (np.uint8, torch.uint8),
        (np.int8, torch.int8),
        (np.int16, torch.int16),
        (np.int32, torch.int32),
        (np.int64, torch.int64),
        (np.float16, torch.float16),
        (np.float32, torch.float32),
        (np.float64, torch.float64),
        (np.complex64, torch.complex64),
        (np.complex128, torch.complex128),
    ]
}
_RAW_KINDS = "biufcSmM"

_KIND = "__kind__"


# -- saving ---------------------------------------------------------------------------------


def save_estimator(estimator: Any, path: str | os.PathLike) -> None:
    """Write a fitted estimator of the package to ``path`` without pickling objects.

    Parameters
    ----------
    estimator : MultimodalNetEstimator
        A fitted estimator of the package (DSRSD or a neural baseline).
    path : str or path-like
        Where to write the file; an existing file is replaced.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If ``estimator`` is not fitted.
    TypeError
        If ``estimator`` is not one of the package's estimator classes, or one of its
        parameters or fitted attributes holds a value the format cannot store (such as
        the scikit-learn estimator wrapped by a baseline's ``estimator`` parameter).
    ValueError
        If a parameter that shapes the network was changed (``set_params``) after fit:
        load rebuilds the network from the parameters, so the file could not be loaded.
    """
    cls = type(estimator)
    if _estimator_classes().get(cls.__name__) is not cls:
        raise TypeError(
            f"save stores the estimators of sklearn-dsrsd only; got {cls.__module__}."
            f"{cls.__qualname__}. Use pickle or joblib for other objects."
        )
    check_is_fitted(estimator)
    for name, value in vars(estimator).items():
        if isinstance(value, NeuralNet) and name in _NET_BUILDERS:
            _check_rebuilds(estimator, name, value)
    encoder = _Encoder(cls.__name__)
    params = estimator.get_params(deep=False)
    state = {
        "params": {
            name: encoder.encode(value, f"parameter {name!r}") for name, value in params.items()
        },
        "attributes": {
            name: (
                encoder.encode_net(value, name)
                if isinstance(value, NeuralNet)
                else encoder.encode(_metadata_requests(value), f"attribute {name!r}")
                if name == "_metadata_request"
                else encoder.encode(value, f"attribute {name!r}")
            )
            for name, value in vars(estimator).items()
            if name not in params and name not in _DERIVED_ATTRIBUTES
        },
    }
    if hasattr(estimator, "_resolved_fusion"):
        # What fusion="auto" built: a later version may resolve "auto" to another fusion,
        # and load must rebuild the network these weights belong to.
        state["resolved_params"] = {"fusion": estimator._resolved_fusion()}
    from . import __version__

    payload = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        # str(): torch.__version__ is a TorchVersion, which weights_only loading refuses.
        "package_version": str(__version__),
        "torch_version": str(torch.__version__),
        "class": cls.__name__,
        # Strict JSON (non-finite floats are tagged), readable by any JSON parser.
        "state": json.dumps(state, allow_nan=False),
        "tensors": encoder.tensors,
    }
    # Everything is encoded before the file is opened: a refused value leaves no file.
    torch.save(payload, os.fspath(path))


class _Encoder:
    """Turns values into JSON-ready data, collecting arrays and weights as tensors.

    Every JSON object it emits is a tagged node ``{"__kind__": ..., ...}``, so that
    decoding never has to guess; lists, str, int, bool, None and finite floats are
    themselves. ``where`` describes the value's place in the estimator for errors.
    """

    def __init__(self, class_name: str):
        self.class_name = class_name
        self.tensors: list[torch.Tensor] = []

    def _tensor(self, tensor: torch.Tensor) -> int:
        self.tensors.append(tensor)
        return len(self.tensors) - 1

    def encode(self, value: Any, where: str) -> Any:
        kind = type(value)
        # Exact types: a subclass (an IntEnum, an OrderedDict) would come back as its base.
        if value is None or kind in (bool, int, str):
            return value
        if kind is float:
            return value if math.isfinite(value) else {_KIND: "float", "value": repr(value)}
        if kind is list:
            return [self.encode(item, f"{where}[{i}]") for i, item in enumerate(value)]
        if kind is tuple:
            return {
                _KIND: "tuple",
                "items": [self.encode(item, f"{where}[{i}]") for i, item in enumerate(value)],
            }
        if kind is dict:
            # Pairs, not a JSON object: keys may be int, numpy scalars, tuples ...
            return {
                _KIND: "dict",
                "items": [
                    [
                        self.encode(key, f"{where} (key {key!r})"),
                        self.encode(item, f"{where}[{key!r}]"),
                    ]
                    for key, item in value.items()
                ],
            }
        if kind is slice:
            return {
                _KIND: "slice",
                **{
                    part: self.encode(getattr(value, part), f"{where}.{part}")
                    for part in ("start", "stop", "step")
                },
            }
        if kind is np.ndarray:
            return self._array(value, where)
        if isinstance(value, np.generic):
            return self._scalar(value, where)
        if isinstance(value, np.dtype):
            return {_KIND: "dtype", "value": self._dtype_str(value, where)}
        if isinstance(value, type) and issubclass(value, np.generic):
            return {_KIND: "dtype_type", "value": self._dtype_str(np.dtype(value), where)}
        if kind is np.random.RandomState:
            return {
                _KIND: "random_state",
                "state": self.encode(value.get_state(), f"{where}.get_state()"),
            }
        if kind in (torch.Tensor, torch.nn.Parameter):
            return {_KIND: "tensor", "index": self._tensor(value.detach().cpu())}
        if kind in _ALLOWED_NAMES:
            return {
                _KIND: "object",
                "class": _ALLOWED_NAMES[kind],
                "state": self.encode(dict(vars(value)), f"{where}.__dict__"),
            }
        raise TypeError(self._refusal(value, where))

    def _refusal(self, value: Any, where: str) -> str:
        kind = type(value)
        name = f"{kind.__module__}.{kind.__qualname__}"
        start = f"Cannot save {self.class_name} safely: {where} holds a {name}"
        if hasattr(value, "fit") and hasattr(value, "get_params"):
            return (
                f"{start}, a scikit-learn estimator, which the safe format cannot store "
                "(it holds arbitrary objects; only the package's own networks are "
                "supported). To save an estimator that wraps a scikit-learn estimator, use "
                "pickle or joblib (load such files only from trusted sources) or skops.io."
            )
        allowed = ", ".join(sorted(name.rsplit(".", 1)[1] for name in _ALLOWED_CLASSES))
        return (
            f"{start}, which the safe format cannot store. It stores None, bool, int, float, "
            "str, list, tuple, dict, slice, numpy arrays, scalars and dtypes, RandomState, "
            f"torch tensors, the package's skorch nets and {allowed}. Use pickle or joblib "
            "instead (load such files only from trusted sources)."
        )

    def _dtype_str(self, dtype: np.dtype, where: str) -> str:
        # ``dtype.str`` round-trips every dtype but structured and sub-array ones.
        if dtype.fields is not None or dtype.subdtype is not None:
            raise TypeError(
                f"Cannot save {self.class_name} safely: {where} has the structured numpy "
                f"dtype {dtype}, which the safe format cannot store. Use pickle or joblib."
            )
        return dtype.str

    def _array(self, array: np.ndarray, where: str) -> dict[str, Any]:
        dtype = array.dtype
        node = {
            _KIND: "ndarray",
            "dtype": self._dtype_str(dtype, where),
            "shape": list(array.shape),
        }
        if dtype.kind == "U":
            return {**node, "list": [str(item) for item in array.ravel()]}
        if dtype.kind == "O":  # class labels and column names of any type
            return {
                **node,
                "list": [
                    self.encode(item, f"{where}[{i}]") for i, item in enumerate(array.ravel())
                ],
            }
        native = dtype.newbyteorder("=")
        if native in _TORCH_DTYPES:
            # An owned, C-ordered copy: from_numpy shares memory, and a view would store
            # the whole buffer it views.
            data = np.array(array, dtype=native, order="C", copy=True)
            return {**node, "tensor": self._tensor(torch.from_numpy(data))}
        if dtype.kind in _RAW_KINDS:  # uint16/32/64, longdouble, bytes, datetimes
            raw = np.frombuffer(np.ascontiguousarray(array).tobytes(), dtype=np.uint8)
            return {**node, "bytes": self._tensor(torch.from_numpy(raw.copy()))}
        raise TypeError(
            f"Cannot save {self.class_name} safely: {where} is a numpy array of dtype "
            f"{dtype}, which the safe format cannot store. Use pickle or joblib."
        )

    def _scalar(self, value: np.generic, where: str) -> dict[str, Any]:
        dtype = value.dtype
        node = {_KIND: "scalar", "dtype": self._dtype_str(dtype, where)}
        if dtype.kind == "b":
            return {**node, "value": bool(value)}
        if dtype.kind in "iu":
            return {**node, "value": int(value)}
        if dtype.kind == "f" and dtype.itemsize <= 8:  # exact as a Python float
            return {**node, "value": self.encode(float(value), where)}
        if dtype.kind == "c" and dtype.itemsize <= 16:
            return {
                **node,
                "value": [
                    self.encode(float(value.real), where),
                    self.encode(float(value.imag), where),
                ],
            }
        if dtype.kind == "U":
            return {**node, "value": str(value)}
        # longdouble, bytes, datetimes: through a 0-d array, exact.
        return {**node, "array": self._array(np.asarray(value), where)}

    def encode_net(self, net: NeuralNet, name: str) -> dict[str, Any]:
        """A skorch net as its module's weights, its history and what fit set on it."""
        if name not in _NET_BUILDERS:
            raise TypeError(
                f"Cannot save {self.class_name} safely: attribute {name!r} holds a skorch "
                f"net, and only {sorted(_NET_BUILDERS)} can be rebuilt on load."
            )
        node = {
            _KIND: "net",
            "class": type(net).__name__,
            "built_by_partial_fit": _built_by_partial_fit(net),
            "state_dict": [
                [key, self._tensor(tensor.detach().cpu())]
                for key, tensor in net.module_.state_dict().items()
            ],
            "history": self.encode(list(net.history), f"{name}.history"),
            "attributes": {
                attribute: self.encode(getattr(net, attribute), f"{name}.{attribute}")
                for attribute in _NET_ATTRIBUTES
                if attribute in vars(net)
            },
        }
        # What partial_fit continues from: the optimiser's moments and learning rates, and
        # the random generators of dropout and shuffling. A frozen net (the teacher) never
        # trains again and needs none of it.
        if any(parameter.requires_grad for parameter in net.module_.parameters()):
            node["optimizer"] = self.encode(net.optimizer_.state_dict(), f"{name}.optimizer_")
            schedule = _resumable_schedule(net)
            if schedule is not None and schedule.lr_scheduler_ is not None:
                node["lr_scheduler"] = self.encode(
                    schedule.lr_scheduler_.state_dict(), f"{name}.lr_scheduler"
                )
            node["generators"] = [
                [where, generator.device.type, self._tensor(generator.get_state())]
                for where, generator in _net_generators(net)
            ]
        return node


# -- loading --------------------------------------------------------------------------------


def load_estimator(path: str | os.PathLike, *, device: str | None = None) -> Any:
    """Read an estimator written by :func:`save_estimator`; never runs code from the file.

    Parameters
    ----------
    path : str or path-like
        A file written by ``save``.
    device : str or None, default=None
        Device to place the networks on, which becomes the ``device`` parameter.
        ``None`` keeps the saved ``device`` where this machine has it and uses
        ``"cpu"`` otherwise (a model trained on a GPU loads on a CPU-only machine).

    Returns
    -------
    estimator : MultimodalNetEstimator
        The fitted estimator, ready to predict and to continue training.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file is not a sklearn-dsrsd file, holds objects other than tensors and
        plain data (a tampered file; nothing in it is run), is corrupt, names a class
        or object kind this version does not know, or was written by a newer format
        version; or if ``device`` is not available.
    """
    path = os.fspath(path)
    if device is not None:
        _check_device(_resolve(device))  # before reading: a ValueError naming the device
    payload = _read_payload(path)
    classes = _estimator_classes()
    class_name = payload["class"]
    cls = classes.get(class_name) if isinstance(class_name, str) else None
    if cls is None:
        raise ValueError(
            f"{path} holds an estimator of class {class_name!r}, which is not one of the "
            f"estimators of sklearn-dsrsd this version can load: {sorted(classes)}."
        )
    from . import __version__

    if payload["package_version"] != __version__:
        warnings.warn(
            f"{path} was saved with sklearn-dsrsd {payload['package_version']!s} and is loaded "
            f"with version {__version__}; its predictions may differ or loading may fail.",
            UserWarning,
            stacklevel=2,
        )
    try:
        return _restore(cls, payload, device)
    except (
        KeyError,
        IndexError,
        TypeError,
        ValueError,
        AttributeError,
        RecursionError,
        RuntimeError,
    ) as exc:
        raise ValueError(f"{path} is not a valid sklearn-dsrsd file: {exc}") from exc


def load(path: str | os.PathLike, *, device: str | None = None) -> Any:
    """Load any estimator of the package written by its ``save`` method.

    The file is read with ``torch.load(weights_only=True)``: loading never runs code
    from the file, unlike unpickling, and a file that holds anything but tensors and
    plain data is refused.

    Parameters
    ----------
    path : str or path-like
        A file written by ``save``.
    device : str or None, default=None
        Device to place the networks on; ``None`` keeps the saved ``device``
        parameter where this machine has it and uses ``"cpu"`` otherwise.

    Returns
    -------
    estimator : MultimodalNetEstimator
        The fitted estimator.

    Examples
    --------
    >>> import sklearn_dsrsd
    >>> from sklearn_dsrsd import DSRSDClassifier
    >>> from sklearn_dsrsd.datasets import make_multimodal_classification
    >>> X, y = make_multimodal_classification(n_samples=60, random_state=0)
    >>> clf = DSRSDClassifier(max_iter=2, random_state=0).fit(X, y)
    >>> import os, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     clf.save(os.path.join(folder, "model.dsrsd"))
    ...     loaded = sklearn_dsrsd.load(os.path.join(folder, "model.dsrsd"))
    >>> bool((loaded.predict_proba(X) == clf.predict_proba(X)).all())
    True
    """
    return load_estimator(path, device=device)


def _read_payload(path: str) -> dict[str, Any]:
    """The checked top-level dict of the file; errors name ``path``."""
    if not os.path.exists(path):
        raise FileNotFoundError(f"No such file: {path}")
    foreign = f"{path} is not a sklearn-dsrsd file (one written by an estimator's save)"
    if not os.path.isfile(path):
        raise ValueError(f"{foreign}: it is not a regular file.")
    # torch.save writes a zip archive. Anything else (a plain pickle, random bytes) is
    # refused before any unpickler sees it.
    if not zipfile.is_zipfile(path):
        raise ValueError(f"{foreign}: it is not a torch.save archive.")
    try:
        payload = torch.load(path, weights_only=True, map_location="cpu")
    except pickle.UnpicklingError as exc:
        raise ValueError(
            f"{path} contains objects other than tensors and plain data; loading refused "
            "(nothing in it was run). A file written by save never does: it was tampered "
            f"with or written by something else. torch reports: {_first_line(exc)}"
        ) from exc
    except OSError:
        raise
    except Exception as exc:  # a damaged archive fails in many ways inside torch
        raise ValueError(
            f"{foreign}: torch cannot read it ({type(exc).__name__}: {_first_line(exc)})."
        ) from exc
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ValueError(f"{foreign}: it has no {FORMAT!r} format marker.")
    version = payload.get("format_version")
    if type(version) is not int or version < 1:
        raise ValueError(
            f"{path} is not a valid sklearn-dsrsd file: format_version is {version!r}."
        )
    if version > FORMAT_VERSION:
        raise ValueError(
            f"{path} was written in sklearn-dsrsd file format version {version} (by "
            f"sklearn-dsrsd {payload.get('package_version')!s}); this version reads format "
            f"version {FORMAT_VERSION} and older. Upgrade sklearn-dsrsd to load it."
        )
    missing = [
        key for key in ("package_version", "class", "state", "tensors") if key not in payload
    ]
    if missing:
        raise ValueError(f"{path} is not a valid sklearn-dsrsd file: it lacks {missing}.")
    if (
        not isinstance(payload["state"], str)
        or not isinstance(payload["tensors"], list)
        or not all(isinstance(tensor, torch.Tensor) for tensor in payload["tensors"])
    ):
        raise ValueError(
            f"{path} is not a valid sklearn-dsrsd file: 'state' must be JSON "
            "text and 'tensors' a list of tensors."
        )
    return payload


def _first_line(exc: BaseException) -> str:
    lines = [line for line in str(exc).splitlines() if line.strip()]
    # torch's weights_only message opens with generic advice; the cause is further down.
    cause = [line for line in lines if "GLOBAL" in line or "Unsupported" in line]
    return (cause or lines or [""])[0].strip()


def _restore(cls: type, payload: dict[str, Any], device: str | None) -> Any:
    state = json.loads(payload["state"])
    if (
        not isinstance(state, dict)
        or not isinstance(state.get("params"), dict)
        or not isinstance(state.get("attributes"), dict)
    ):
        raise ValueError("its state must hold 'params' and 'attributes' mappings")
    decoder = _Decoder(payload["tensors"])
    params = {
        name: decoder.decode(value, f"parameter {name!r}")
        for name, value in state["params"].items()
    }
    unknown = sorted(set(params) - set(cls._get_param_names()))
    if unknown:
        raise ValueError(f"{cls.__name__} has no parameters {unknown} in this version")
    if "device" in params:
        params["device"] = _load_device(params["device"], device)
    if "n_networks" in cls._get_param_names():
        # A model saved before n_networks existed trained one network; one saved before
        # linear_path existed has none.
        params.setdefault("n_networks", 1)
        params.setdefault("linear_path", False)
    estimator = cls(**params)
    _restore_resolved_params(estimator, state.get("resolved_params", {}))

    nets = {}
    for name, value in state["attributes"].items():
        _check_attribute_name(name, f"attribute {name!r}")
        if name in params:
            raise ValueError(f"attribute {name!r} is a parameter")
        if isinstance(value, dict) and value.get(_KIND) == "net":
            if name not in _NET_BUILDERS:
                raise ValueError(f"no way to rebuild a skorch net stored as {name!r}")
            nets[name] = value
        elif name == "_metadata_request":
            _set_metadata_requests(estimator, decoder.decode(value, f"attribute {name!r}"))
        elif name not in _DERIVED_ATTRIBUTES:
            setattr(estimator, name, decoder.decode(value, f"attribute {name!r}"))
    # After the other attributes: building a net reads them (the schema's shapes, the
    # classes, the class weights). The main net last, so that it can find its teacher.
    if "net_" in nets and not hasattr(estimator, "do_early_stopping_"):
        _set_missing_do_early_stopping(estimator)
    if "net_" in nets and "n_networks" in params and not hasattr(estimator, "n_networks_"):
        estimator.n_networks_ = 1
    for name in sorted(nets, key=lambda name: name == "net_"):
        setattr(estimator, name, _restore_net(estimator, name, nets[name], decoder))
    if "net_" in nets:
        teacher = getattr(estimator, "teacher_net_", None)
        if teacher is not None and hasattr(estimator.net_, "set_teacher"):
            estimator.net_.set_teacher(teacher.module_)  # as fit attaches it
        estimator._inference_modules = {}  # copies of net_'s module, made on first use
    return estimator


def _restore_resolved_params(estimator: Any, resolved: Any) -> None:
    """Set an "auto" parameter to what it resolved to when saved, where that changed since."""
    if not isinstance(resolved, dict) or set(resolved) - {"fusion"}:
        raise ValueError("resolved_params must be a mapping with at most the key 'fusion'")
    if "fusion" not in resolved:
        return
    saved = resolved["fusion"]
    choices = {"gated", "gated_concat", "concat"}
    if not isinstance(saved, str) or saved not in choices:
        raise ValueError(f"resolved_params['fusion'] is {saved!r}, not one of {sorted(choices)}")
    if estimator.fusion != "auto":
        return
    now = estimator._resolved_fusion()
    if saved != now:
        estimator.set_params(fusion=saved)  # validated with the other parameters by fit
        warnings.warn(
            f"This {type(estimator).__name__} was saved when fusion='auto' meant {saved!r}; "
            f"in this version it means {now!r}. It is loaded with fusion={saved!r}, the "
            "network its weights belong to.",
            UserWarning,
            stacklevel=4,
        )


def _resolve(device: str) -> str:
    # Names such as "auto" stand for a device that each machine chooses for itself.
    return getattr(_base, "_resolve_device", lambda name: name)(device)


def _load_device(saved: Any, requested: str | None) -> str:
    """The device to load onto: ``requested`` (checked), else ``saved`` if this machine has it."""
    if requested is not None:
        return requested
    try:
        _check_device(_resolve(saved))
    except (ValueError, TypeError):
        return "cpu"
    return saved


def _metadata_requests(request: Any) -> dict[str, dict[str, Any]]:
    """The metadata-routing requests that ``set_{method}_request`` calls made, by method."""
    methods = {method: getattr(request, method, None) for method in SIMPLE_METHODS}
    return {
        method: dict(requests.requests)
        for method, requests in methods.items()
        if requests is not None and requests.requests
    }


def _set_metadata_requests(estimator: Any, requests: Any) -> None:
    """Make the ``set_{method}_request`` calls whose requests :func:`_metadata_requests` kept."""
    if not isinstance(requests, dict):
        raise ValueError("the metadata requests must be a mapping of method to requests")
    # The setters exist whatever the setting; they may only be called with routing on.
    with sklearn.config_context(enable_metadata_routing=True):
        for method, method_requests in requests.items():
            setter = getattr(estimator, f"set_{method}_request", None)
            if (
                method not in SIMPLE_METHODS
                or setter is None
                or not isinstance(method_requests, dict)
                or not all(
                    value is None or isinstance(value, bool | str)
                    for value in method_requests.values()
                )
            ):
                raise ValueError(f"metadata requests of {method!r} are not valid")
            try:
                setter(**method_requests)
            except TypeError as exc:
                raise ValueError(f"metadata requests of {method!r} are not valid: {exc}") from exc


def _check_attribute_name(name: Any, where: str) -> None:
    # A crafted file must not be able to replace __class__, __dict__ and the like.
    if not isinstance(name, str) or not name.isidentifier() or name.startswith("__"):
        raise ValueError(f"{where} is not a valid attribute name")


# How each net attribute is rebuilt (any seed: its weights are then loaded), as fit or, for
# a net that a partial_fit call built, partial_fit builds it.
_NET_BUILDERS: dict[str, Callable[[Any, int, bool], NeuralNet]] = {
    "net_": lambda estimator, seed, incremental: estimator._build_net(
        seed, early_stopping=estimator.do_early_stopping_, incremental=incremental
    ),
    "teacher_net_": lambda estimator, seed, incremental: estimator._build_teacher_net(seed),
}


def _built_by_partial_fit(net: NeuralNet) -> bool:
    """Whether the net's learning-rate schedule resumes from its history's length, as the
    cosine schedule of a net that ``partial_fit`` built does (one that ``fit`` built starts
    again at every fit loop)."""
    schedule = dict(net.callbacks_).get("lr_scheduler")
    return (
        isinstance(schedule, LRScheduler)
        and not isinstance(schedule, ResumableLRScheduler)
        and "last_epoch" not in schedule.kwargs
    )


def _check_rebuilds(estimator: Any, name: str, net: NeuralNet) -> None:
    """Raise if the estimator's parameters no longer build ``net`` (changed after fit)."""
    rebuilt = _NET_BUILDERS[name](estimator, 0, _built_by_partial_fit(net))
    changes = _reshaping_changes(net, rebuilt)
    if type(rebuilt) is not type(net):
        changes = ", ".join(
            filter(None, [changes, f"{type(net).__name__} -> {type(rebuilt).__name__}"])
        )
    # The state of an "adaptive" schedule is saved for partial_fit to continue; the
    # rebuilt net must have such a schedule to take it.
    saved_schedule = _resumable_schedule(net)
    if (
        saved_schedule is not None
        and saved_schedule.lr_scheduler_ is not None
        and not isinstance(dict(rebuilt.callbacks).get("lr_scheduler"), ResumableLRScheduler)
    ):
        learning_rate = getattr(estimator, "learning_rate", None)
        changes = ", ".join(
            filter(None, [changes, f"learning_rate 'adaptive' -> {learning_rate!r}"])
        )
    if changes:
        raise ValueError(
            f"Cannot save this {type(estimator).__name__}: load rebuilds {name} from the "
            f"parameters, which changed after fit in a way that reshapes it ({changes}). "
            "Set them back with set_params, or refit, before saving."
        )


def _restore_net(estimator: Any, name: str, node: dict[str, Any], decoder: _Decoder) -> NeuralNet:
    incremental = node.get("built_by_partial_fit", False)
    if not isinstance(incremental, bool):
        raise ValueError(f"{name}.built_by_partial_fit must be a bool")
    net = _NET_BUILDERS[name](estimator, 0, incremental)
    if type(net).__name__ != node["class"]:
        raise ValueError(
            f"{name} was a {node['class']}, but the estimator's parameters "
            f"build a {type(net).__name__}"
        )
    # Seeded and with the module's own generator, as in fit, and without drawing from
    # torch's global generator (initialize() would).
    estimator._initialize_seeded(net, 0)
    pairs = node["state_dict"]
    if not isinstance(pairs, list):
        raise ValueError(f"{name}: state_dict must be a list of [name, tensor] pairs")
    weights = OrderedDict()
    for key, index in pairs:
        if not isinstance(key, str):
            raise ValueError(f"{name}: state_dict keys must be str")
        weights[key] = decoder.tensor(index, f"{name} weight {key!r}")
    try:
        net.module_.load_state_dict(weights)
    except RuntimeError as exc:
        raise ValueError(
            f"the weights of {name} do not fit the network that its parameters build: {exc}"
        ) from exc
    history = decoder.decode(node["history"], f"{name}.history")
    if not isinstance(history, list) or not all(isinstance(row, dict) for row in history):
        raise ValueError(f"{name}.history must be a list of dicts")
    net.history = History(history)
    attributes = node["attributes"]
    if not isinstance(attributes, dict):
        raise ValueError(f"{name}.attributes must be a mapping")
    for attribute, value in attributes.items():
        if attribute not in _NET_ATTRIBUTES:
            raise ValueError(f"{name}.{attribute} may not be set from a file")
        setattr(net, attribute, decoder.decode(value, f"{name}.{attribute}"))
    if "optimizer" in node:
        state = decoder.decode(node["optimizer"], f"{name}.optimizer_")
        net.optimizer_.load_state_dict(_in_parameter_groups(state, net))
    if "lr_scheduler" in node:
        schedule = _resumable_schedule(net)
        state = decoder.decode(node["lr_scheduler"], f"{name}.lr_scheduler")
        if schedule is None or not isinstance(state, dict):
            raise ValueError(
                f"{name}: a saved learning-rate schedule needs learning_rate='adaptive'"
            )
        schedule.restore(net, _schedule_in_parameter_groups(state, net))
    generators = dict(_net_generators(net))
    for where, device_type, index in node.get("generators", []):
        generator = generators.get(where)
        # A generator of another device type (saved on a GPU, loaded on a CPU) has a state
        # of another form: it keeps its fresh seed, and only continued training differs.
        if generator is not None and generator.device.type == device_type:
            generator.set_state(decoder.tensor(index, f"{name} generator {where!r}"))
    return net


def _in_parameter_groups(state: Any, net: NeuralNet) -> Any:
    """A saved optimiser state in ``net``'s parameter groups.

    Files written before an average of networks had a parameter group per network hold
    its optimiser state in one group, whose parameters are the module's in order; their
    states move to the group of their network. Any other state is returned as it is.
    """
    groups = net.optimizer_.param_groups
    try:
        (saved_group,) = state["param_groups"]
    except (KeyError, TypeError, ValueError):
        return state
    parameters = list(net.module_.parameters())
    if len(groups) == 1 or saved_group.get("params") != list(range(len(parameters))):
        return state
    position = {id(parameter): index for index, parameter in enumerate(parameters)}
    options = {key: value for key, value in saved_group.items() if key != "params"}
    if any(id(parameter) not in position for group in groups for parameter in group["params"]):
        return state
    moved: dict[int, Any] = {}
    param_groups = []
    index = 0
    for group in groups:
        indices = []
        for parameter in group["params"]:
            saved = state["state"].get(position[id(parameter)])
            if saved is not None:
                moved[index] = saved
            indices.append(index)
            index += 1
        param_groups.append({**options, "params": indices})
    return {"state": moved, "param_groups": param_groups}


def _schedule_in_parameter_groups(state: dict[str, Any], net: NeuralNet) -> dict[str, Any]:
    """A saved schedule state whose per-group lists (one group: an older file, see
    :func:`_in_parameter_groups`) are repeated for each of ``net``'s groups."""
    n_groups = len(net.optimizer_.param_groups)
    return {
        key: value * n_groups if isinstance(value, list) and len(value) == 1 else value
        for key, value in state.items()
    }


def _resumable_schedule(net: NeuralNet) -> ResumableLRScheduler | None:
    """The net's schedule whose state continues over fit loops (``"adaptive"``), if any."""
    schedule = dict(net.callbacks_).get("lr_scheduler")
    return schedule if isinstance(schedule, ResumableLRScheduler) else None


def _net_generators(net: NeuralNet) -> list[tuple[str, torch.Generator]]:
    """The net's random generators by where they sit, each once (parts share one)."""
    found: dict[int, tuple[str, torch.Generator]] = {}
    for attribute, value in vars(net).items():  # the data loader's, iterator_train__generator
        if isinstance(value, torch.Generator):
            found.setdefault(id(value), (attribute, value))
    for part_name, part in net.module_.named_modules():  # the module's own (dropout masks)
        value = getattr(part, "generator", None)
        if isinstance(value, torch.Generator):
            path = ".".join(filter(None, ("module_", part_name, "generator")))
            found.setdefault(id(value), (path, value))
    return list(found.values())


class _Decoder:
    """The inverse of :class:`_Encoder`; refuses any node kind or class it does not know."""

    def __init__(self, tensors: list[torch.Tensor]):
        self.tensors = tensors

    def tensor(self, index: Any, where: str) -> torch.Tensor:
        if type(index) is not int or not 0 <= index < len(self.tensors):
            raise ValueError(f"{where} refers to tensor {index!r}, which the file lacks")
        return self.tensors[index]

    def decode(self, node: Any, where: str) -> Any:
        if node is None or type(node) in (bool, int, float, str):
            return node
        if type(node) is list:
            return [self.decode(item, f"{where}[{i}]") for i, item in enumerate(node)]
        if type(node) is not dict or not isinstance(node.get(_KIND), str):
            raise ValueError(f"{where} is not a valid encoded value")
        # An explicit table: a file can only name the kinds below, nothing else.
        method = {
            "float": self._decode_float,
            "tuple": self._decode_tuple,
            "dict": self._decode_dict,
            "slice": self._decode_slice,
            "dtype": self._decode_dtype,
            "dtype_type": self._decode_dtype_type,
            "random_state": self._decode_random_state,
            "tensor": self._decode_tensor,
            "object": self._decode_object,
            "scalar": self._decode_scalar,
            "ndarray": self._decode_ndarray,
        }.get(node[_KIND])
        if method is None:
            raise ValueError(f"{where} has the unknown value kind {node[_KIND]!r}")
        return method(node, where)

    def _decode_float(self, node: dict, where: str) -> float:
        if node["value"] not in ("nan", "inf", "-inf"):
            raise ValueError(f"{where} is not a valid non-finite float")
        return float(node["value"])

    def _decode_tuple(self, node: dict, where: str) -> tuple:
        return tuple(self.decode(item, f"{where}[{i}]") for i, item in enumerate(node["items"]))

    def _decode_dict(self, node: dict, where: str) -> dict:
        out = {}
        for key, value in node["items"]:
            key = self.decode(key, f"{where} (key)")
            out[key] = self.decode(value, f"{where}[{key!r}]")
        return out

    def _decode_slice(self, node: dict, where: str) -> slice:
        parts = [self.decode(node[part], f"{where}.{part}") for part in ("start", "stop", "step")]
        return slice(*parts)

    @staticmethod
    def _dtype(value: Any, where: str) -> np.dtype:
        if not isinstance(value, str):
            raise ValueError(f"{where} has an invalid dtype")
        try:
            return np.dtype(value)
        except TypeError as exc:
            raise ValueError(f"{where} has an invalid dtype {value!r}") from exc

    def _decode_dtype(self, node: dict, where: str) -> np.dtype:
        return self._dtype(node["value"], where)

    def _decode_dtype_type(self, node: dict, where: str) -> type:
        return self._dtype(node["value"], where).type

    def _decode_random_state(self, node: dict, where: str) -> np.random.RandomState:
        random_state = np.random.RandomState()
        random_state.set_state(self.decode(node["state"], f"{where}.state"))
        return random_state

    def _decode_tensor(self, node: dict, where: str) -> torch.Tensor:
        return self.tensor(node["index"], where)

    def _decode_object(self, node: dict, where: str) -> Any:
        cls = _ALLOWED_CLASSES.get(node["class"]) if isinstance(node["class"], str) else None
        if cls is None:
            raise ValueError(
                f"{where} is an object of class {node['class']!r}, which is not "
                f"one of those the format allows: {sorted(_ALLOWED_CLASSES)}"
            )
        state = self.decode(node["state"], f"{where}.__dict__")
        if type(state) is not dict:
            raise ValueError(f"{where}.__dict__ must be a dict")
        for name in state:
            _check_attribute_name(name, f"{where}.{name}")
        obj = cls.__new__(cls)
        obj.__dict__.update(state)
        return obj

    def _decode_scalar(self, node: dict, where: str) -> np.generic:
        dtype = self._dtype(node["dtype"], where)
        if "array" in node:
            array = self._decode_ndarray(node["array"], where)
            if array.shape != () or array.dtype != dtype:
                raise ValueError(f"{where} is not a valid numpy scalar")
            return array[()]
        value = node["value"]
        if dtype.kind == "c":
            real, imag = (self.decode(part, where) for part in value)
            value = complex(real, imag)
        elif dtype.kind == "f":
            value = self.decode(value, where)
        if dtype.kind not in "biufcU" or type(value) not in (bool, int, float, complex, str):
            raise ValueError(f"{where} is not a valid numpy scalar")
        return dtype.type(value)

    def _decode_ndarray(self, node: dict, where: str) -> np.ndarray:
        dtype = self._dtype(node["dtype"], where)
        shape = node["shape"]
        if type(shape) is not list or not all(type(n) is int and n >= 0 for n in shape):
            raise ValueError(f"{where} has an invalid shape")
        shape = tuple(shape)
        size = math.prod(shape)
        if "list" in node:
            items = node["list"]
            if type(items) is not list or len(items) != size:
                raise ValueError(f"{where} has {size} elements by its shape but lists others")
            if dtype.kind == "U" and all(type(item) is str for item in items):
                return np.array(items, dtype=dtype).reshape(shape)
            if dtype.kind == "O":
                array = np.empty(size, dtype=object)
                for i, item in enumerate(items):  # one by one: no broadcasting of lists
                    array[i] = self.decode(item, f"{where}[{i}]")
                return array.reshape(shape)
            raise ValueError(f"{where}: a listed array must have a str or object dtype")
        if "tensor" in node:
            tensor = self.tensor(node["tensor"], where)
            native = dtype.newbyteorder("=")
            if _TORCH_DTYPES.get(native) != tensor.dtype or tuple(tensor.shape) != shape:
                raise ValueError(
                    f"{where}: the tensor does not match dtype {dtype} and shape {shape}"
                )
            array = tensor.numpy()
            return array if array.dtype == dtype else array.astype(dtype)
        if "bytes" in node:
            tensor = self.tensor(node["bytes"], where)
            # Never an object dtype: numpy would read pointers from the bytes.
            if (
                dtype.kind not in _RAW_KINDS
                or tensor.dtype != torch.uint8
                or tensor.dim() != 1
                or tensor.numel() != size * dtype.itemsize
            ):
                raise ValueError(
                    f"{where}: the raw bytes do not match dtype {dtype} and shape {shape}"
                )
            return np.frombuffer(tensor.numpy().tobytes(), dtype=dtype).reshape(shape).copy()
        raise ValueError(f"{where} is an array without data")


def _estimator_classes() -> dict[str, type]:
    """The package's public, concrete estimator classes by name: those a file may name."""
    from . import baselines  # noqa: F401  (defines the baselines' classes)

    classes: dict[str, type] = {}
    pending = list(MultimodalNetEstimator.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if (
            cls.__module__.startswith("sklearn_dsrsd.")
            and not cls.__name__.startswith("_")
            and not inspect.isabstract(cls)
        ):
            classes[cls.__name__] = cls
    return classes
