"""Sessions: tests, lint, bench, gen."""

from __future__ import annotations

import shutil

import nox

nox.options.sessions = ["tests", "lint"]
nox.options.reuse_existing_virtualenvs = True

# fastjsonschema generates customsrc/_*_validator.py; pinned so the freshness test compares like with like.
# pypiserver (with passlib, for its password files), moto[server], devpi-server: gallery entries are tested
# against the real servers; cryptography signs the tokens of a real docker-registry's token auth.
TEST_DEPS = [
    "pytest>=8",
    "fastjsonschema==2.22.3",
    "pypiserver[passlib]>=2",
    "moto[server]>=5",
    "devpi-server>=6",
    "cryptography>=41",
]


@nox.session
def tests(session: nox.Session) -> None:
    """The whole test suite against the installed package."""
    session.install(".[celery]", *TEST_DEPS)
    # verdaccio, the real npm registry for the gallery's npm entry, pinned by a lockfile; without npm
    # that one test says "tool missing" (a failure in CI, where CUSTOMSRC_TEST_STRICT=1).
    if shutil.which("npm"):
        session.run("npm", "ci", "--prefix", "tests/npm-server", "--no-audit", "--no-fund", "--silent", external=True)
    else:
        session.log("npm is missing: the npm gallery test will be skipped (apt-get install npm)")
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff over everything, mypy --strict over the package."""
    session.install(
        ".[celery]", "ruff", "mypy", "types-PyYAML", "types-jsonschema", "types-regex", "types-jmespath", *TEST_DEPS
    )
    session.run("ruff", "check", ".")
    session.run("mypy", "customsrc")


@nox.session
def bench(session: nox.Session) -> None:
    """A/B ratios against a bash + jq baseline, measured in one run on this machine."""
    session.install(".")
    session.run("python", "benchmarks/bench.py", *session.posargs)


@nox.session
def gen(session: nox.Session) -> None:
    """Regenerate customsrc/_*_validator.py from schemas/."""
    session.install(".", "fastjsonschema==2.22.3")
    session.run(
        "python", "-c", "from customsrc.schemacheck import write_generated; print(write_generated('customsrc'))"
    )
