"""Visual inspection of fitted multimodal estimators.

:class:`ModalityWeightsDisplay` plots the per-sample fusion weights that every estimator of the
package returns from ``modality_weights(X)``: their distribution per modality (box plots) or
their mean and standard deviation (bar chart), optionally split by group, e.g. by true or
predicted class. It follows scikit-learn's Display objects: the constructor stores the data,
``plot`` draws it, and the class methods ``from_estimator`` and ``from_weights`` compute the
data and plot it in one call.

matplotlib is optional: it is imported only when a plot is drawn, and the module, the
constructor and ``mean_weights_`` work without it.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import is_classifier
from sklearn.utils._optional_dependencies import check_matplotlib_support
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["ModalityWeightsDisplay"]

_KINDS = ("box", "bar")
_GROUP_BY = (None, "true", "predicted")


def _check_kind(kind: Any) -> None:
    if not isinstance(kind, str) or kind not in _KINDS:
        raise ValueError(f"kind must be one of {list(_KINDS)}; got {kind!r}.")


class ModalityWeightsDisplay:
    """Per-sample fusion weights of a multimodal estimator, per modality.

    The weights are those of ``modality_weights(X)``: one row per sample, one column per
    modality, 0 for the modalities absent from a sample and summing to 1 over the present ones.
    ``kind="box"`` shows their distribution per modality, ``kind="bar"`` their mean with the
    standard deviation as error bar. With ``groups`` (for instance the true or the predicted
    class of each sample) the boxes or bars of each group stand side by side, in one colour per
    group, with a legend.

    The weights alone do not tell an absent modality from a present one that the fusion
    ignores: the zero weights of absent modalities are included in the boxes and in the means.
    Select the rows of ``X`` with a given set of modalities present to plot them apart.

    It is recommended to create the display with :meth:`from_estimator` or
    :meth:`from_weights`. All parameters are stored as attributes.

    Parameters
    ----------
    weights : array-like of shape (n_samples, n_modalities)
        Per-sample fusion weights, finite, one column per modality.
    modality_names : sequence of str or mapping
        Name of each column of ``weights``, unique. A mapping (such as an estimator's
        ``modalities_``) gives its keys.
    groups : array-like of shape (n_samples,), default=None
        Group label of each sample, e.g. its true or predicted class; no label may be
        missing (NaN or None). None plots all samples together.
    group_name : str, default=None
        Title of the legend of the groups.

    Attributes
    ----------
    mean_weights_ : ndarray of shape (n_modalities,)
        Mean weight of each modality over all samples, ``weights.mean(axis=0)``.
    group_labels_ : ndarray of shape (n_groups,) or None
        Sorted distinct values of ``groups``; None without groups.
    group_mean_weights_ : ndarray of shape (n_groups, n_modalities) or None
        Mean weight of each modality over the samples of each group, rows following
        ``group_labels_``; None without groups.
    boxes_ : ndarray of shape (n_groups, n_modalities) of matplotlib PathPatch or None
        The boxes drawn by ``plot(kind="box")``, one row per group (a single row without
        groups); None for ``kind="bar"``.
    bars_ : ndarray of shape (n_groups, n_modalities) of matplotlib Rectangle or None
        The bars drawn by ``plot(kind="bar")``, one row per group (a single row without
        groups); None for ``kind="box"``.
    legend_ : matplotlib Legend or None
        The legend of the groups; None without groups.
    ax_ : matplotlib Axes
        Axes holding the plot.
    figure_ : matplotlib Figure
        Figure holding the plot.

    See Also
    --------
    ModalityWeightsDisplay.from_estimator : Plot the weights of a fitted estimator on ``X``.
    ModalityWeightsDisplay.from_weights : Plot weights already computed.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dsrsd.inspection import ModalityWeightsDisplay
    >>> weights = np.array([[0.5, 0.3, 0.2], [0.7, 0.0, 0.3], [0.6, 0.3, 0.1]])
    >>> disp = ModalityWeightsDisplay(weights, ["image", "text", "audio"])
    >>> disp.mean_weights_.round(2)
    array([0.6, 0.2, 0.2])

    From a fitted estimator, one box per modality and true class:

    >>> import matplotlib.pyplot as plt
    >>> from sklearn_dsrsd import DSRSDClassifier
    >>> from sklearn_dsrsd.datasets import make_multimodal_classification
    >>> X, y = make_multimodal_classification(n_samples=60, random_state=0)
    >>> clf = DSRSDClassifier(max_iter=2, hidden_size=8, random_state=0).fit(X, y)
    >>> disp = ModalityWeightsDisplay.from_estimator(clf, X, y=y, group_by="true")
    >>> disp.modality_names
    ['m0', 'm1', 'm2']
    >>> disp.group_labels_
    array([0, 1])
    >>> disp.boxes_.shape
    (2, 3)
    >>> plt.show()  # doctest: +SKIP
    """

    def __init__(
        self,
        weights: ArrayLike,
        modality_names: Sequence[str] | Mapping[str, Any],
        *,
        groups: ArrayLike | None = None,
        group_name: str | None = None,
    ) -> None:
        if isinstance(modality_names, str):
            raise ValueError(
                "modality_names must be a sequence of names, not a single string; got "
                f"{modality_names!r}."
            )
        names = list(modality_names)
        if len(set(names)) != len(names):
            raise ValueError(f"modality_names must be unique; got {names!r}.")
        try:
            array = np.asarray(weights, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"weights must be an array of numbers: {exc}") from exc
        if array.ndim != 2:
            raise ValueError(
                "weights must be a 2-D array of shape (n_samples, n_modalities); got an array "
                f"of shape {array.shape}."
            )
        if array.shape[1] != len(names):
            raise ValueError(
                f"weights has {array.shape[1]} columns but modality_names has {len(names)} "
                "names; they must match."
            )
        if array.shape[0] == 0:
            raise ValueError("weights must have at least one row (sample); got 0.")
        if not np.isfinite(array).all():
            raise ValueError("weights must be finite; got NaN or infinite values.")
        if groups is not None:
            groups = np.asarray(groups)
            if groups.ndim != 1 or groups.shape[0] != array.shape[0]:
                raise ValueError(
                    f"groups must be 1-D with one label per row of weights ({array.shape[0]}); "
                    f"got shape {groups.shape}."
                )
            # NaN equals no label, not even itself: its rows would belong to no group.
            missing = [
                value
                for value in groups.tolist()
                if value is None or (isinstance(value, float) and np.isnan(value))
            ]
            if missing:
                raise ValueError(
                    f"groups must label every row; got {len(missing)} missing labels "
                    f"({missing[0]!r}). Give those rows a label of their own, or leave "
                    "them out."
                )

        self.weights = array
        self.modality_names = names
        self.groups = groups
        self.group_name = group_name

        self.mean_weights_ = array.mean(axis=0)
        if groups is None:
            self.group_labels_ = None
            self.group_mean_weights_ = None
        else:
            self.group_labels_ = np.unique(groups)
            self.group_mean_weights_ = np.stack(
                [array[groups == label].mean(axis=0) for label in self.group_labels_]
            )

    def _group_rows(self) -> list[tuple[Hashable | None, np.ndarray]]:
        """``(label, weights of the group)`` per group; one ``(None, weights)`` without."""
        if self.groups is None:
            return [(None, self.weights)]
        return [(label, self.weights[self.groups == label]) for label in self.group_labels_]

    def plot(
        self,
        ax: Axes | None = None,
        *,
        kind: str = "box",
        title: str | None = None,
        box_kw: dict[str, Any] | None = None,
        bar_kw: dict[str, Any] | None = None,
    ) -> ModalityWeightsDisplay:
        """Plot the weights.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to plot on. None creates a new figure and axes.
        kind : {"box", "bar"}, default="box"
            ``"box"``: a box plot of the per-sample weights of each modality. ``"bar"``: the
            mean weight of each modality, with the standard deviation as error bar.
        title : str, default=None
            Title of the axes; None leaves it unset.
        box_kw : dict, default=None
            Keyword arguments passed to ``matplotlib.axes.Axes.boxplot`` (``kind="box"``
            only); they override the display's defaults.
        bar_kw : dict, default=None
            Keyword arguments passed to ``matplotlib.axes.Axes.bar`` (``kind="bar"`` only);
            they override the display's defaults.

        Returns
        -------
        display : ModalityWeightsDisplay
            The display, with ``ax_``, ``figure_``, ``boxes_`` or ``bars_`` and ``legend_``
            set.
        """
        check_matplotlib_support("ModalityWeightsDisplay.plot")
        _check_kind(kind)
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots()

        rows = self._group_rows()
        n_groups, n_modalities = len(rows), len(self.modality_names)
        width = 0.8 / n_groups
        centers = np.arange(n_modalities, dtype=np.float64)
        artists = np.empty((n_groups, n_modalities), dtype=object)
        low, high = 0.0, 1.0
        for g, (_, group_weights) in enumerate(rows):
            positions = centers - 0.4 + width * (g + 0.5)
            color = f"C{g % 10}"
            if kind == "box":
                options = {
                    "widths": 0.9 * width,
                    "patch_artist": True,
                    "boxprops": {"facecolor": color, "alpha": 0.8},
                    "medianprops": {"color": "black"},
                    **(box_kw or {}),
                }
                drawn = ax.boxplot(
                    list(group_weights.T), positions=positions, manage_ticks=False, **options
                )
                artists[g] = drawn["boxes"]
                low = min(low, float(group_weights.min()))
                high = max(high, float(group_weights.max()))
            else:
                mean, std = group_weights.mean(axis=0), group_weights.std(axis=0)
                options = {"color": color, "yerr": std, "capsize": 3, **(bar_kw or {})}
                drawn = ax.bar(positions, mean, 0.9 * width, **options)
                artists[g] = list(drawn.patches)
                low = min(low, float((mean - std).min()))
                high = max(high, float((mean + std).max()))

        pad = 0.05 * (high - low)
        ax.set_ylim(low - pad, high + pad)
        ax.set_xlim(-0.5, n_modalities - 0.5)
        ax.set_xticks(centers)
        ax.set_xticklabels(self.modality_names)
        ax.set_xlabel("modality")
        ax.set_ylabel("fusion weight")
        if title is not None:
            ax.set_title(title)

        self.legend_ = None
        if self.groups is not None:
            self.legend_ = ax.legend(
                handles=list(artists[:, 0]),
                labels=[str(label) for label, _ in rows],
                title=self.group_name,
            )
        self.boxes_ = artists if kind == "box" else None
        self.bars_ = artists if kind == "bar" else None
        self.ax_ = ax
        self.figure_ = ax.figure
        return self

    @classmethod
    def from_estimator(
        cls,
        estimator: Any,
        X: Any,
        *,
        y: ArrayLike | None = None,
        group_by: str | None = None,
        kind: str = "box",
        ax: Axes | None = None,
        title: str | None = None,
        box_kw: dict[str, Any] | None = None,
        bar_kw: dict[str, Any] | None = None,
    ) -> ModalityWeightsDisplay:
        """Plot the fusion weights of a fitted estimator on ``X``.

        Parameters
        ----------
        estimator : estimator instance
            Fitted estimator with a ``modality_weights`` method, such as the estimators of
            ``sklearn_dsrsd`` and ``sklearn_dsrsd.baselines``. A ``Pipeline`` has no such
            method: pass its last step and the transformed ``X``.
        X : mapping of str to array-like, ModalityDict, or array-like
            Input in the form the estimator was fitted on.
        y : array-like of shape (n_samples,), default=None
            True class labels; needed with ``group_by="true"`` only.
        group_by : {None, "true", "predicted"}, default=None
            Split the samples by their true class (``y``, which must hold class labels) or by
            the class the estimator predicts (classifiers only). None plots all samples
            together.
        kind : {"box", "bar"}, default="box"
            See :meth:`plot`.
        ax : matplotlib Axes, default=None
            Axes to plot on. None creates a new figure and axes.
        title : str, default=None
            Title of the axes; None leaves it unset.
        box_kw : dict, default=None
            Keyword arguments passed to ``matplotlib.axes.Axes.boxplot``.
        bar_kw : dict, default=None
            Keyword arguments passed to ``matplotlib.axes.Axes.bar``.

        Returns
        -------
        display : ModalityWeightsDisplay
            The display, plotted.
        """
        check_matplotlib_support("ModalityWeightsDisplay.from_estimator")
        _check_kind(kind)
        if not callable(getattr(estimator, "modality_weights", None)):
            raise TypeError(
                f"{type(estimator).__name__} has no modality_weights method: "
                "ModalityWeightsDisplay needs an estimator of sklearn_dsrsd (or one with "
                "modality_weights(X))."
            )
        if group_by not in _GROUP_BY:
            raise ValueError(f"group_by must be one of {list(_GROUP_BY)}; got {group_by!r}.")
        check_is_fitted(estimator)
        if group_by == "true" and y is None:
            raise ValueError('group_by="true" needs the true labels: pass y.')
        if group_by == "predicted" and not is_classifier(estimator):
            raise ValueError(
                'group_by="predicted" needs a classifier; '
                f"{type(estimator).__name__} is not one. Pass discrete groups to "
                "from_weights(groups=...) instead."
            )

        weights = np.asarray(estimator.modality_weights(X))
        groups, group_name = None, None
        if group_by == "true":
            groups = np.asarray(y)
            if groups.ndim != 1 or groups.shape[0] != weights.shape[0]:
                raise ValueError(
                    f"y must be 1-D with one label per sample of X ({weights.shape[0]}); got "
                    f"shape {groups.shape}."
                )
            target_type = type_of_target(groups)
            if target_type not in ("binary", "multiclass"):
                raise ValueError(
                    'group_by="true" needs class labels in y (a binary or multiclass target); '
                    f"got a {target_type} target. Bin y and pass the bins to "
                    "from_weights(groups=...) instead."
                )
            group_name = "true class"
        elif group_by == "predicted":
            groups = np.asarray(estimator.predict(X))
            group_name = "predicted class"

        names = getattr(estimator, "modalities_", None)
        if names is None:
            names = [f"modality {i}" for i in range(weights.shape[1])]
        display = cls(weights, names, groups=groups, group_name=group_name)
        return display.plot(ax=ax, kind=kind, title=title, box_kw=box_kw, bar_kw=bar_kw)

    @classmethod
    def from_weights(
        cls,
        weights: ArrayLike,
        modality_names: Sequence[str] | Mapping[str, Any],
        *,
        groups: ArrayLike | None = None,
        group_name: str | None = None,
        kind: str = "box",
        ax: Axes | None = None,
        title: str | None = None,
        box_kw: dict[str, Any] | None = None,
        bar_kw: dict[str, Any] | None = None,
    ) -> ModalityWeightsDisplay:
        """Plot fusion weights already computed, e.g. by ``modality_weights(X)``.

        Parameters
        ----------
        weights : array-like of shape (n_samples, n_modalities)
            Per-sample fusion weights, finite, one column per modality.
        modality_names : sequence of str or mapping
            Name of each column of ``weights``, unique. A mapping (such as an estimator's
            ``modalities_``) gives its keys.
        groups : array-like of shape (n_samples,), default=None
            Group label of each sample; none missing (NaN or None). None plots all
            samples together.
        group_name : str, default=None
            Title of the legend of the groups.
        kind : {"box", "bar"}, default="box"
            See :meth:`plot`.
        ax : matplotlib Axes, default=None
            Axes to plot on. None creates a new figure and axes.
        title : str, default=None
            Title of the axes; None leaves it unset.
        box_kw : dict, default=None
            Keyword arguments passed to ``matplotlib.axes.Axes.boxplot``.
        bar_kw : dict, default=None
            Keyword arguments passed to ``matplotlib.axes.Axes.bar``.

        Returns
        -------
        display : ModalityWeightsDisplay
            The display, plotted.
        """
        check_matplotlib_support("ModalityWeightsDisplay.from_weights")
        _check_kind(kind)
        display = cls(weights, modality_names, groups=groups, group_name=group_name)
        return display.plot(ax=ax, kind=kind, title=title, box_kw=box_kw, bar_kw=bar_kw)
