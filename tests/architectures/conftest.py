"""Tests of the Architecture explainers series: make the shared test helpers importable."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
