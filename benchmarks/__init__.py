"""Benchmarks of the templates against reference configurations (see README.md here)."""

import common  # noqa: F401  (imported first: keeps TensorFlow's start-up quiet)
