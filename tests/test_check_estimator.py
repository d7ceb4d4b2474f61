"""scikit-learn's own estimator checks; the one expected failure is explained in conftest."""

from conftest import expected_failed_checks
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_dsrsd import DSRSDClassifier, DSRSDRegressor
from sklearn_dsrsd.baselines import (
    CoAttentionClassifier,
    EarlyFusionClassifier,
    EarlyFusionRegressor,
    LateFusionRegressor,
    SingleModalityClassifier,
    SingleModalityRegressor,
)

# Small and fast, but trained enough to pass check_classifiers_train (> 0.83 accuracy)
# and check_regressors_train (R^2 > 0.5).
SMALL = dict(
    max_iter=40,
    hidden_size=32,
    code_size=8,
    learning_rate_init=0.01,
    batch_size=32,
    random_state=0,
)


@parametrize_with_checks(
    [DSRSDClassifier(**SMALL), DSRSDRegressor(**SMALL)],
    expected_failed_checks=expected_failed_checks,
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


# The configurations users run besides the defaults. Distillation trains a teacher and a
# student per network, so it gets fewer, larger steps and an average of two networks instead
# of the default five to stay within the suite's time budget (two still run the averaging).
DISTILL = dict(
    SMALL, max_iter=20, learning_rate_init=0.02, missing_strategy="distill", n_networks=2
)
BASELINE = {key: value for key, value in SMALL.items() if key != "code_size"}


@parametrize_with_checks(
    [
        DSRSDClassifier(**DISTILL),
        DSRSDRegressor(**DISTILL),
        EarlyFusionClassifier(estimator=LogisticRegression()),
        EarlyFusionRegressor(estimator=Ridge()),
        SingleModalityClassifier(estimator=LogisticRegression()),
        SingleModalityRegressor(estimator=Ridge()),
        CoAttentionClassifier(**BASELINE, n_tokens=2, learning_rate="cosine"),
        LateFusionRegressor(**BASELINE, early_stopping=True, validation_fraction=0.2),
    ],
    expected_failed_checks=expected_failed_checks,
)
def test_sklearn_compatible_non_default_configurations(estimator, check):
    check(estimator)
