"""The templates, one package each. Importing common first keeps TensorFlow's start-up quiet."""

import common  # noqa: F401
