"""aecourse: helpers for a Jupyter course on autoencoders.

Importing this package is cheap: TensorFlow and matplotlib load only when a helper needs them.
"""

from .budget import describe as describe_budget
from .runtime import quiet_tensorflow, set_seed

__version__ = "0.1.0"

__all__ = ["__version__", "describe_budget", "quiet_tensorflow", "set_seed"]
