"""The XSD validators receivers use, run as they would run them on a published folder:
libxml2 (`xmllint`, from Debian's libxml2-utils) and the JDK's standard validator
(`javax.xml.validation` with secure processing on, tests/java/ValidateExtract.java).

Both are installed by scripts/test; a missing one fails the test that calls it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

JDK_VALIDATOR = Path(__file__).resolve().parent / "java" / "ValidateExtract.java"


def xmllint(xsd: Path, xml: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["xmllint", "--noout", "--schema", str(xsd), str(xml)],
                          capture_output=True, text=True, check=False)


def jdk(xsd: Path, xml: Path) -> subprocess.CompletedProcess:
    """`java ValidateExtract.java <xsd> <xml>` (Java 11+ launches a single source file)."""
    return subprocess.run(["java", str(JDK_VALIDATOR), str(xsd), str(xml)],
                          capture_output=True, text=True, check=False)


VALIDATORS = {"libxml2": xmllint, "jdk": jdk}


def hub_verify_extract(folder: Path) -> subprocess.CompletedProcess:
    """The receiver's check, as a receiver runs it: `hub verify-extract <folder>`."""
    hub = Path(sys.executable).parent / "hub"
    return subprocess.run([str(hub), "verify-extract", str(folder)],
                          capture_output=True, text=True, check=False)
