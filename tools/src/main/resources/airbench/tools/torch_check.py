"""What the PyTorch sides of this project's parity harness share (parity_torch.py and
augment_torch.py import it): the check that PyTorch and numpy can be imported.

airbench.tools.PythonScript copies this file next to the script it runs.
"""
import sys

# Exit code of a script without PyTorch (or numpy): PythonScript.NOT_INSTALLED on the Java side, which
# then tries the next interpreter.
NOT_INSTALLED = 3


def torch_installed():
    """True when numpy and torch can be imported; otherwise False, after saying why on stderr."""
    try:
        import numpy  # noqa: F401
        import torch  # noqa: F401
    except ImportError as e:
        print(f"PyTorch is not installed: {e}", file=sys.stderr)
        return False
    return True
