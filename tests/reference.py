"""The real KashFlow references the contract tests hold the mock and the clients to: in
../shared/reference, beside the repository's clone (CI has them there too)."""

import os
from pathlib import Path

import pytest

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"
REAL_WSDL = REFERENCE / "KashFlow.wsdl"
REST_REFERENCE = REFERENCE / "kashflow-rest-v2.md"

# On a machine without the references their tests are skipped; never in CI, which has
# them: there a missing file fails the tests that read it, naming it.
needs_real_wsdl = pytest.mark.skipif(
    not REAL_WSDL.exists() and not os.environ.get("CI"),
    reason=f"the real KashFlow WSDL is not at {REAL_WSDL}, so there is nothing to compare with")
needs_rest_reference = pytest.mark.skipif(
    not REST_REFERENCE.exists() and not os.environ.get("CI"),
    reason=f"the REST reference is not at {REST_REFERENCE}, so there is nothing to compare with")
