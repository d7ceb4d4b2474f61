"""``python -m sklearn_dsrsd``: the cross-validated comparison of DSRSD with baselines."""

from ._comparison import main

raise SystemExit(main())
