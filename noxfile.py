"""Sessions: tests, lint, bench, gallery, gen."""

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
    # drives Debian's chromium through the gallery site (tests/gallery_site_test.py)
    "selenium>=4.20",
    # Google Cloud Storage's JSON API, the gcs-objects entry's real server
    "gcp-storage-emulator>=2024.8",
]


@nox.session
def tests(session: nox.Session) -> None:
    """The whole test suite against the installed package."""
    session.install(".[celery]", *TEST_DEPS)
    # verdaccio (the npm registry) and Azurite (Azure Blob Storage), real servers of gallery entries,
    # pinned by lockfiles; without npm their tests say "tool missing" (a failure in CI, where
    # CUSTOMSRC_TEST_STRICT=1).
    if shutil.which("npm"):
        for folder in ("tests/npm-server", "tests/azurite-server"):
            session.run("npm", "ci", "--prefix", folder, "--no-audit", "--no-fund", "--silent", external=True)
    else:
        session.log("npm is missing: the npm and Azure gallery tests will be skipped (apt-get install npm)")
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
    session.install(".[celery]")
    session.run("python", "benchmarks/bench.py", *session.posargs)


@nox.session
def gallery(session: nox.Session) -> None:
    """The gallery as a static site in build/gallery-site: open its index.html, or publish the folder."""
    session.install(".")
    session.run("customsrc", "gallery", "site", "build/gallery-site")


@nox.session
def gen(session: nox.Session) -> None:
    """Regenerate customsrc/_*_validator.py from schemas/."""
    session.install(".", "fastjsonschema==2.22.3")
    session.run(
        "python", "-c", "from customsrc.schemacheck import write_generated; print(write_generated('customsrc'))"
    )
