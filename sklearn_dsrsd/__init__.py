"""Dual-stream multimodal deep learning (DSRSD-Net, CorrKD) as scikit-learn estimators."""

from ._dsrsd import DSRSDClassifier, DSRSDRegressor
from ._modality_dict import ModalityDict
from ._persistence import load

__all__ = ["DSRSDClassifier", "DSRSDRegressor", "ModalityDict", "load"]
__version__ = "0.1.0"
