"""scikit-learn's own estimator checks, with no expected-failure list."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_dsrsd import DSRSDClassifier, DSRSDRegressor

# Small and fast, but trained enough to pass check_classifiers_train (> 0.83 accuracy)
# and check_regressors_train (R^2 > 0.5).
SMALL = dict(
    max_iter=40, hidden_size=32, code_size=8, learning_rate_init=0.01, batch_size=32,
    random_state=0,
)


@parametrize_with_checks([DSRSDClassifier(**SMALL), DSRSDRegressor(**SMALL)])
def test_sklearn_compatible(estimator, check):
    check(estimator)
