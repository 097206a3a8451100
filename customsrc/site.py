"""``customsrc gallery site DIR``: the gallery as a static site, readable from file:// or any static host.

``DIR/index.html`` lists every entry with a search box (name, description, repository kind) and
filters (repository kind, auth, delegate, what it was tested against); ``DIR/entries/NAME.html``
shows one entry: what it lists and how it orders, its inputs and secrets, the Harness YAML in the
three shapes ``customsrc export`` writes (each with a copy button) and the ``customsrc run``
example. One small CSS and one small vanilla JS file go beside them; the data the JS filters on is
JSON inside the index page (file:// blocks ``fetch()``). Every text is escaped with ``html.escape``.
The facets are read from each entry's template, so a new entry needs no edit here.
"""

from __future__ import annotations

import html
import json
import os
import re
from urllib.parse import quote

from .gallery import Entry, entries, example_command, required_inputs, stock_delegate

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, NamedTuple
else:
    from .records import NamedTuple

AUTH_KINDS = ("none", "basic", "token", "cloud")
REAL_SERVER = "real server"
VENDOR_FORMAT = "vendor format"
ENTRIES_DIR = "entries"
_MANAGERS = "repository managers"
FILTERS = (("kind", "repository"), ("auth", "auth"), ("delegate", "delegate"), ("tested", "tested against"))

# A name's parts (split at "-") -> the repository kind; the first known part wins, then a cloud
# vendor's name (azure-artifacts: its package feeds), and an entry with neither is filed under its
# name's first part.
_KIND_OF_PART = {
    **dict.fromkeys(("oci", "docker", "container", "ecr", "gcr", "acr", "quay", "harbor", "zot"), "container images"),
    **dict.fromkeys(("helm", "chart", "charts", "chartmuseum"), "Helm charts"),
    **dict.fromkeys(("maven", "gradle", "ivy"), "Maven"),
    **dict.fromkeys(("npm", "yarn"), "npm"),
    **dict.fromkeys(("pypi", "python", "pip", "devpi"), "Python packages"),
    "conda": "conda",
    **dict.fromkeys(("crates", "crate", "cargo"), "Rust crates"),
    **dict.fromkeys(("go", "goproxy", "golang"), "Go modules"),
    **dict.fromkeys(("github", "gitlab", "gitea", "forgejo", "bitbucket", "git", "sourcehut"), "Git hosting"),
    **dict.fromkeys(("nexus", "nexus3", "artifactory", "jfrog", "proget", "cloudsmith", "codeartifact"), _MANAGERS),
    **dict.fromkeys(("s3", "gcs", "blob", "bucket", "minio", "r2"), "object storage"),
    **dict.fromkeys(("http", "https", "ftp", "webdav", "directory"), "web files"),
    **dict.fromkeys(("jenkins", "bamboo", "teamcity", "circleci", "buildkite", "drone", "ci"), "CI builds"),
    **dict.fromkeys(("ec2", "ami", "amis"), "machine images"),
    "nuget": "NuGet",
    **dict.fromkeys(("rubygems", "gem", "gems"), "RubyGems"),
    **dict.fromkeys(("debian", "apt", "deb"), "Debian packages"),
    **dict.fromkeys(("rpm", "yum", "dnf"), "RPM packages"),
    "terraform": "Terraform",
    "packagist": "PHP packages",
    "hex": "Hex packages",
    "cran": "R packages",
}
_KIND_OF_VENDOR = dict.fromkeys(("azure", "google", "gcp", "aws", "amazon"), _MANAGERS)
# Secrets that carry a cloud identity (IAM keys, STS session tokens, Entra ID / AAD or Google access
# tokens), as opposed to a user's password (basic) or a service's own token.
_CLOUD = re.compile(
    r"ACCESS_KEY|SECRET_KEY|SESSION_TOKEN|ACCOUNT_KEY|SAS_TOKEN|SERVICE_ACCOUNT|CLIENT_SECRET|CREDENTIALS|AAD|"
    r"^(?:AWS|GCP|GCS|IAM)_",
    re.IGNORECASE,
)


class Facets(NamedTuple):
    """What the index filters an entry on."""

    kind: str  # the repository kind, e.g. "Helm charts"
    auth: tuple[str, ...]  # of AUTH_KINDS: how it can authenticate ("none": no secret is required)
    delegate: str  # "stock delegate" or "needs python3, ..."
    tested: str  # REAL_SERVER or VENDOR_FORMAT


def repository_kind(item: Entry) -> str:
    """The kind of repository an entry reads, from its name (``helm-index`` -> ``Helm charts``)."""
    parts = item.name.lower().split("-")
    for table in (_KIND_OF_PART, _KIND_OF_VENDOR):
        for part in parts:
            if part in table:
                return table[part]
    return parts[0]


def auth_kinds(item: Entry) -> tuple[str, ...]:
    """How an entry authenticates, from its secrets: ``none`` when it needs no secret, ``basic`` for a
    secret given with a user, ``cloud`` for a cloud provider's keys, ``token`` for any other."""
    required = set(required_inputs(item))
    found = set()
    if not any(s.input in required for s in item.secrets):
        found.add("none")
    for secret in item.secrets:
        if any(_CLOUD.search(word) for word in (secret.name, secret.input, *secret.beside) if word):
            found.add("cloud")
        elif secret.beside:
            found.add("basic")
        else:
            found.add("token")
    return tuple(kind for kind in AUTH_KINDS if kind in found)


def facets(item: Entry) -> Facets:
    """The entry's place in each of the index's filters."""
    runs = stock_delegate(item)
    tested = REAL_SERVER if re.search(r"\breal servers?\b", item.tested_against, re.IGNORECASE) else VENDOR_FORMAT
    return Facets(repository_kind(item), auth_kinds(item), "stock delegate" if runs == "yes" else runs, tested)


def harness_yaml(item: Entry) -> list[tuple[str, str, list[str]]]:
    """(shape, YAML, notes) for each shape ``customsrc export`` writes: the same text it prints,
    or, where Harness's schema would refuse the source, the reason in the notes and no YAML."""
    from .errors import SourceError
    from .export import KINDS, export, to_yaml

    shapes = []
    for kind in KINDS:
        try:
            document, warnings = export(item.source, kind)
        except SourceError as error:
            shapes.append((kind, "", [error.said]))
            continue
        shapes.append((kind, to_yaml(document), warnings))
    return shapes


def write_site(folder: str, items: list[Entry] | None = None) -> list[str]:
    """Write the site for ``items`` (every gallery entry by default) into ``folder``; return the
    files written. Pages of entries no longer in the gallery are removed from ``folder/entries``."""
    items = entries() if items is None else items
    pages = os.path.join(folder, ENTRIES_DIR)
    os.makedirs(pages, exist_ok=True)
    written = [
        _write(os.path.join(folder, "style.css"), CSS),
        _write(os.path.join(folder, "site.js"), JS),
        _write(os.path.join(folder, "index.html"), index_page(items)),
    ]
    keep = set()
    for item in items:
        keep.add(f"{item.name}.html")
        written.append(_write(os.path.join(pages, f"{item.name}.html"), entry_page(item)))
    for stale in os.listdir(pages):
        if stale.endswith(".html") and stale not in keep:
            os.remove(os.path.join(pages, stale))
    return written


def _write(path: str, text: str) -> str:
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
    return path


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def page_href(item: Entry) -> str:
    """The entry page's address relative to the index."""
    return f"{ENTRIES_DIR}/{quote(item.name)}.html"


def _page(title: str, body: str, root: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<title>{_e(title)}</title>\n<link rel="icon" href="data:,">\n'
        f'<link rel="stylesheet" href="{root}style.css">\n<script src="{root}site.js" defer></script>\n'
        f"</head>\n<body>\n{body}</body>\n</html>\n"
    )


def _json_for_script(value: Any) -> str:
    """JSON safe inside a <script> element: no ``</script>`` or ``<!--`` can end it early."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def index_page(items: list[Entry]) -> str:
    """The index: every entry in a table, a search box and a filter per facet over embedded JSON."""
    found = {item.name: facets(item) for item in items}
    data = [
        {
            "name": item.name,
            "description": item.description,
            "kind": found[item.name].kind,
            "auth": list(found[item.name].auth),
            "delegate": found[item.name].delegate,
            "tested": found[item.name].tested,
        }
        for item in items
    ]
    controls = [
        '<label class="search">Search <input type="search" id="search" autocomplete="off" '
        'placeholder="name, description, repository kind"></label>'
    ]
    for key, label in FILTERS:
        values: set[str] = set()
        for facet in found.values():
            value = getattr(facet, key)
            values.update(value if isinstance(value, tuple) else (value,))
        ordered = [v for v in AUTH_KINDS if v in values] if key == "auth" else sorted(values, key=str.lower)
        options = "".join(f'<option value="{_e(v)}">{_e(v)}</option>' for v in ordered)
        controls.append(
            f'<label>{_e(label)} <select id="filter-{key}" data-filter="{key}">'
            f'<option value="">any</option>{options}</select></label>'
        )
    rows = []
    for item in items:
        facet = found[item.name]
        rows.append(
            f'<tr data-entry="{_e(item.name)}"><td><a href="{_e(page_href(item))}">{_e(item.name)}</a></td>'
            f"<td>{_e(item.description)}</td><td>{_e(facet.kind)}</td><td>{_e(', '.join(facet.auth))}</td>"
            f"<td>{_e(facet.delegate)}</td><td>{_e(facet.tested)}</td></tr>\n"
        )
    body = (
        "<header><h1>customsrc gallery</h1>\n<p>Ready-made, tested Harness custom artifact sources for "
        "repositories Harness does not support natively.</p></header>\n<main>\n"
        f'<form class="controls" role="search" onsubmit="return false">{"".join(controls)}</form>\n'
        f'<p id="count" aria-live="polite">{len(items)} of {len(items)} entries</p>\n'
        '<table id="entries"><thead><tr><th>name</th><th>what it lists</th><th>repository</th><th>auth</th>'
        f"<th>delegate</th><th>tested against</th></tr></thead>\n<tbody>\n{''.join(rows)}</tbody></table>\n"
        '<p id="none" hidden>No entry matches.</p>\n'
        f'<script type="application/json" id="gallery-data">{_json_for_script(data)}</script>\n</main>\n'
    )
    return _page("customsrc gallery", body, "")


def _copyable(ident: str, text: str, label: str, wrap: bool = False) -> str:
    pre = '<pre class="wrap">' if wrap else "<pre>"
    return (
        f'<div class="copyable"><button type="button" class="copy" data-copy="{_e(ident)}">Copy {_e(label)}'
        f'</button>\n{pre}<code id="{_e(ident)}">{_e(text)}</code></pre></div>\n'
    )


def _inputs_table(item: Entry) -> str:
    required = set(required_inputs(item))
    secret_of = {s.input: s.name for s in item.secrets if s.input}
    rows = []
    for variable in item.inputs:
        name = str(variable["name"])
        value = variable.get("value")
        need = "required" if name in required else f"optional, default {value}" if str(value) else "optional"
        kind = str(variable.get("type", "String"))
        example = item.examples.get(name, "")
        if not example and name in secret_of:
            example = f"{secret_of[name]} (a secret's identifier)"
        rows.append(
            f"<tr><td><code>{_e(name)}</code></td><td>{_e(need)}</td><td>{_e(kind)}</td>"
            f"<td>{_e(variable.get('description', ''))}</td><td>{_e(example)}</td></tr>\n"
        )
    if not rows:
        return "<p>None.</p>\n"
    return (
        "<table><thead><tr><th>input</th><th>required?</th><th>type</th><th>description</th>"
        f"<th>example</th></tr></thead>\n<tbody>\n{''.join(rows)}</tbody></table>\n"
    )


def _secrets_table(item: Entry) -> str:
    if not item.secrets:
        return "<p>None: it reads the repository anonymously.</p>\n"
    rows = "".join(
        f"<tr><td><code>{_e(s.name)}</code></td><td>{_e(s.input)}</td><td>{_e(', '.join(s.beside))}</td>"
        f"<td>{_e(s.description)}</td></tr>\n"
        for s in item.secrets
    )
    return (
        "<table><thead><tr><th>secret</th><th>named in input</th><th>given with</th><th>description</th></tr>"
        f"</thead>\n<tbody>\n{rows}</tbody></table>\n"
    )


def entry_page(item: Entry) -> str:
    """One entry's page: what it lists, its order, inputs, secrets, Harness YAML and example command."""
    facet = facets(item)
    source = item.source
    mapping = f"{source.artifacts_array_path or '$'} -> version {source.version_path or ''}"
    attributes = ", ".join(name for name, _ in source.attributes)
    template = f"templates/{item.name}.yaml"
    facts = [
        ("repository", facet.kind),
        ("auth", ", ".join(facet.auth)),
        ("on Harness's stock delegate", stock_delegate(item)),
        ("tested against", item.tested_against),
        ("template", template),
    ]
    yaml_sections = []
    for kind, text, notes in harness_yaml(item):
        ident = f"yaml-{kind}"
        note = "".join(f"<li>{_e(n)}</li>" for n in notes)
        notes_html = f'<ul class="notes">{note}</ul>\n' if note else ""
        shown = _copyable(ident, text, f"{kind} YAML") if text else ""
        yaml_sections.append(
            f'<section class="shape" id="shape-{kind}"><h3>as {_e(kind)} '
            f"<small>(<code>customsrc export {_e(template)} --as {_e(kind)}</code>)</small></h3>\n"
            f"{shown}{notes_html}</section>\n"
        )
    body = (
        f'<header><p><a href="../index.html">&larr; all gallery entries</a></p>\n<h1>{_e(item.name)}</h1>\n'
        f'<p class="lead">{_e(item.description)}</p></header>\n<main>\n<dl class="facts">'
        + "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in facts)
        + "</dl>\n<h2>What it lists</h2>\n"
        f"<p>{_e(item.description)}.</p>\n<p>Mapping: <code>{_e(mapping)}</code>"
        + (f"; attributes: {_e(attributes)}" if attributes else "")
        + ".</p>\n<h2>How it orders</h2>\n"
        f"<p>Newest first (Harness takes the first match) by: {_e(item.ordered_by or 'the order the script lists')}"
        "</p>\n<h2>Inputs</h2>\n"
        f"{_inputs_table(item)}<h2>Secrets</h2>\n{_secrets_table(item)}"
        "<h2>Run it locally</h2>\n"
        "<p>From a checkout of customsrc (the template's path is relative to it), with the example values; "
        "each secret's value is read from standard input, never from the command line.</p>\n"
        f"{_copyable('run-command', example_command(item._replace(path=template)), 'command', wrap=True)}"
        "<h2>Harness YAML</h2>\n"
        f"{''.join(yaml_sections)}</main>\n"
    )
    return _page(f"{item.name} - customsrc gallery", body, "../")


CSS = """\
:root { color-scheme: light dark; --line: #8884; --accent: #2563eb; }
body { font: 15px/1.5 system-ui, sans-serif; margin: 0 auto; max-width: 72rem; padding: 1rem 1.5rem; }
h1 { margin: .2em 0; } h2 { margin-top: 1.6em; border-bottom: 1px solid var(--line); }
a { color: var(--accent); }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid var(--line); padding: .35rem .5rem; text-align: left; vertical-align: top; }
.controls { display: flex; flex-wrap: wrap; gap: .6rem 1.2rem; align-items: end; }
.controls label { display: flex; flex-direction: column; font-size: .85em; }
.controls input { min-width: 18rem; }
input, select, button { font: inherit; padding: .2rem .4rem; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
.facts dt { font-weight: 600; }
pre { background: #8881; border: 1px solid var(--line); padding: .6rem; margin-top: .3rem; }
pre { overflow: auto; max-height: 28rem; }
pre.wrap { white-space: pre-wrap; overflow-wrap: anywhere; }
button.copy { cursor: pointer; }
.notes { font-size: .85em; opacity: .8; }
[hidden] { display: none !important; }
"""

JS = """\
"use strict";
// customsrc gallery: search and filters on the index, copy buttons on entry pages. No network.
(function () {
  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    return new Promise(function (resolve, reject) {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.style.position = "fixed";
      area.style.opacity = "0";
      document.body.appendChild(area);
      area.select();
      var copied = document.execCommand("copy");
      document.body.removeChild(area);
      if (copied) { resolve(); } else { reject(new Error("copy refused")); }
    });
  }

  function setupCopy() {
    document.querySelectorAll("button[data-copy]").forEach(function (button) {
      var label = button.textContent;
      button.addEventListener("click", function () {
        var target = document.getElementById(button.getAttribute("data-copy"));
        function show(text) {
          button.textContent = text;
          setTimeout(function () { button.textContent = label; }, 2000);
        }
        copyText(target.textContent).then(function () { show("Copied"); },
          function () { show("Copy failed: select the text"); });
      });
    });
  }

  function setupIndex() {
    var data = document.getElementById("gallery-data");
    if (!data) { return; }
    var byName = {};
    JSON.parse(data.textContent).forEach(function (e) { byName[e.name] = e; });
    var rows = Array.prototype.slice.call(document.querySelectorAll("tr[data-entry]"));
    var search = document.getElementById("search");
    var filters = Array.prototype.slice.call(document.querySelectorAll("select[data-filter]"));
    function matches(entry, words) {
      var text = (entry.name + " " + entry.description + " " + entry.kind).toLowerCase();
      var found = words.every(function (w) { return text.indexOf(w) !== -1; });
      return found && filters.every(function (select) {
        var want = select.value;
        var have = entry[select.getAttribute("data-filter")];
        return !want || (Array.isArray(have) ? have.indexOf(want) !== -1 : have === want);
      });
    }
    function update() {
      var words = search.value.toLowerCase().split(/\\s+/).filter(Boolean);
      var shown = 0;
      rows.forEach(function (row) {
        var visible = matches(byName[row.getAttribute("data-entry")], words);
        row.hidden = !visible;
        if (visible) { shown += 1; }
      });
      document.getElementById("count").textContent = shown + " of " + rows.length + " entries";
      document.getElementById("none").hidden = shown !== 0;
    }
    search.addEventListener("input", update);
    filters.forEach(function (select) { select.addEventListener("change", update); });
    update();
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupCopy();
    setupIndex();
  });
}());
"""
