"""``customsrc gallery site DIR``: the static gallery site, its pages, links and escaping, and the
same site in a real browser (Debian's chromium driven by Selenium, from file://)."""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from customsrc.export import KINDS, export, to_yaml
from customsrc.gallery import Entry, GallerySecret, entries, entry, example_command
from customsrc.site import AUTH_KINDS, FILTERS, facets, write_site

from .helpers import CLI, ROOT, need


class Page(HTMLParser):
    """An HTML page read back: its links, the text of each element with an id, its script elements."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.scripts: list[dict[str, str | None]] = []
        self.texts: dict[str, str] = {}
        self._open: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.links += [v for k, v in attrs if k in ("href", "src") and v is not None]
        if found.get("id"):
            self.ids.add(str(found["id"]))
            self.texts[str(found["id"])] = ""
            self._open.append(str(found["id"]))
        elif tag not in ("meta", "link", "input", "br", "img", "hr", "wbr"):  # the void elements used
            self._open.append("")
        if tag == "script":
            self.scripts.append(found)

    def handle_endtag(self, tag: str) -> None:
        if self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        for ident in self._open:
            if ident:
                self.texts[ident] += data


def read_page(path: Path) -> Page:
    return Page(path.read_text(encoding="utf-8"))


class Site:
    """A written site and the entries it was written from (read once: the gallery may grow meanwhile)."""

    def __init__(self, folder: Path, items: list[Entry]) -> None:
        self.folder = folder
        self.items = items

    def __truediv__(self, name: str) -> Path:
        return self.folder / name


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    folder = tmp_path_factory.mktemp("site")
    items = entries()
    written = write_site(str(folder), items)
    assert len(written) == len(items) + 3
    return Site(folder, items)


def html_files(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.html"))


def test_every_entry_has_a_page_linked_from_the_index(site: Site) -> None:
    names = [e.name for e in site.items]
    assert names, "the gallery has entries"
    assert sorted(p.stem for p in (site / "entries").glob("*.html")) == sorted(names)
    links = read_page(site / "index.html").links
    for name in names:
        assert f"entries/{name}.html" in links
    assert {"style.css", "site.js"} <= set(links)


def test_every_internal_link_resolves_to_a_file(site: Site) -> None:
    checked = 0
    for page in html_files(site.folder):
        parsed = read_page(page)
        for link in parsed.links:
            parts = urlsplit(link)
            assert parts.scheme in ("", "data"), f"{page.name}: {link} leaves the site (no network)"
            if parts.scheme == "data":
                continue
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            assert target.is_file(), f"{page.relative_to(site.folder)}: {link} does not resolve"
            if parts.fragment:
                assert parts.fragment in read_page(target).ids
            checked += 1
    assert checked >= 4 * len(site.items)


def test_stale_pages_are_removed_and_others_kept(tmp_path: Path) -> None:
    (tmp_path / "entries").mkdir()
    (tmp_path / "entries" / "gone.html").write_text("old")
    (tmp_path / "notes.txt").write_text("mine")
    written = write_site(str(tmp_path), [entry("helm-index")])
    assert sorted(Path(p).relative_to(tmp_path).as_posix() for p in written) == [
        "entries/helm-index.html",
        "index.html",
        "site.js",
        "style.css",
    ]
    assert not (tmp_path / "entries" / "gone.html").exists()
    assert (tmp_path / "notes.txt").read_text() == "mine"


def gallery_data(page: Page) -> list[dict[str, Any]]:
    assert any(s.get("id") == "gallery-data" and s.get("type") == "application/json" for s in page.scripts)
    data: list[dict[str, Any]] = json.loads(page.texts["gallery-data"])
    return data


def test_text_is_escaped_a_script_in_a_description_stays_text(tmp_path: Path) -> None:
    hostile = "<script>alert('x')</script> & </script><!-- \"quoted\""
    base = entry("helm-index")
    inputs = tuple({**v, "description": hostile} if i == 0 else v for i, v in enumerate(base.inputs))
    item = base._replace(
        name="hostile",
        description=hostile,
        ordered_by=hostile,
        tested_against=hostile,
        inputs=inputs,
        examples={**base.examples, "REPO_URL": hostile},
        secrets=(GallerySecret("s", hostile, "REPO_PASSWORD", ("REPO_USER",)),),
    )
    write_site(str(tmp_path), [item])
    for path in (tmp_path / "index.html", tmp_path / "entries" / "hostile.html"):
        text = path.read_text(encoding="utf-8")
        assert "<script>alert" not in text
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &lt;/script&gt;&lt;!--" in text
        page = Page(text)
        # only the page's own script elements: site.js, and the index's JSON
        assert [s.get("src") or s.get("id") for s in page.scripts] == (
            ["site.js", "gallery-data"] if path.name == "index.html" else ["../site.js"]
        )
    index = Page((tmp_path / "index.html").read_text(encoding="utf-8"))
    assert gallery_data(index)[0]["description"] == hostile  # the JSON carries the text, unchanged
    page = read_page(tmp_path / "entries" / "hostile.html")
    assert shlex.quote(hostile) in page.texts["run-command"]  # the example value, shown as text


def test_each_shape_of_harness_yaml_is_what_customsrc_export_prints(site: Site, cli: CLI) -> None:
    for item in site.items:
        page = read_page(site / "entries" / f"{item.name}.html")
        for kind in KINDS:
            assert page.texts[f"yaml-{kind}"] == to_yaml(export(item.source, kind)[0]), (item.name, kind)
        assert page.texts["run-command"] == example_command(item._replace(path=f"templates/{item.name}.yaml"))
    item = site.items[0]
    page = read_page(site / "entries" / f"{item.name}.html")
    for kind in KINDS:  # and the command itself prints the same text
        proc = cli.run("export", item.path, "--as", kind)
        assert proc.returncode == 0, proc.stderr
        assert page.texts[f"yaml-{kind}"] == proc.stdout


def test_an_entry_page_shows_inputs_secrets_order_and_what_it_was_tested_against(site: Site) -> None:
    item = entry("s3-list")
    text = (site / "entries" / "s3-list.html").read_text(encoding="utf-8")
    for shown in (item.ordered_by, item.tested_against, item.description, "required", "optional"):
        assert html_text(shown) in text
    for variable in item.inputs:
        assert f"<code>{variable['name']}</code>" in text
    for secret in item.secrets:
        assert f"<code>{secret.name}</code>" in text
    for value in item.examples.values():
        assert html_text(value) in text


def html_text(text: str) -> str:
    import html

    return html.escape(text, quote=True)


def test_facets_are_read_from_each_template() -> None:
    found = {e.name: facets(e) for e in entries()}
    assert found["s3-list"].kind == "object storage" and "cloud" in found["s3-list"].auth
    assert set(found["npm-registry"].auth) == {"none", "basic", "token"}
    assert found["helm-index"].tested == "real server"
    assert found["nexus3-components"].tested == "vendor format"
    assert found["helm-index"].delegate == "needs python3"
    for facet in found.values():
        assert facet.auth and set(facet.auth) <= set(AUTH_KINDS)
        assert facet.kind
    base = entry("helm-index")
    assert facets(base._replace(secrets=())).auth == ("none",)
    required = tuple({**v, "value": "<+input>"} if v["name"] == "REPO_PASSWORD" else v for v in base.inputs)
    assert facets(base._replace(inputs=required)).auth == ("basic",)  # a required secret: no anonymous use
    assert facets(base._replace(name="zork-things")).kind == "zork"  # no known part: its first part
    assert facets(base._replace(name="azure-blob-list")).kind == "object storage"  # a known part first ...
    assert facets(base._replace(name="azure-feeds")).kind == "repository managers"  # ... then the vendor
    aad = GallerySecret("acr_aad_token", "", "AAD_ACCESS_TOKEN", ())
    assert facets(base._replace(secrets=(aad,))).auth == ("none", "cloud")
    pat = GallerySecret("azure_devops_pat", "", "AZURE_DEVOPS_PAT", ())
    assert facets(base._replace(secrets=(pat,))).auth == ("none", "token")
    vendor = "a server built from the vendor's documented API"
    assert facets(base._replace(tested_against=vendor)).tested == "vendor format"


def test_the_cli_writes_the_site_and_help_does_not_import_it(cli: CLI, tmp_path: Path) -> None:
    proc = cli.run("gallery", "site", "out")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out" / "index.html").is_file()
    assert "index.html" in proc.stdout
    missing = cli.run("gallery", "site")
    assert missing.returncode == 2
    assert "folder" in missing.stderr
    imports = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "customsrc.cli", "--help"],
        capture_output=True,
        text=True,
        check=True,
        env=cli.environment(),
    )
    assert "customsrc.gallery" not in imports.stderr
    assert "customsrc.site" not in imports.stderr


# ---- the real browser --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    chromium = shutil.which("chromium")
    driver_path = shutil.which("chromedriver")
    need(chromium, "chromium", "apt-get install chromium chromium-driver")
    need(driver_path, "chromedriver", "apt-get install chromium chromium-driver")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        need(False, "selenium", "pip install selenium")
        raise
    options = webdriver.ChromeOptions()
    options.binary_location = str(chromium)
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1100,760"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(driver_path)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def console_errors(driver: Any) -> list[dict[str, Any]]:
    return [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]


def visible_entries(driver: Any) -> list[str]:
    found: list[str] = driver.execute_script(
        "return Array.from(document.querySelectorAll('tr[data-entry]'))"
        ".filter(function (r) { return !r.hidden && r.offsetParent !== null; })"
        ".map(function (r) { return r.getAttribute('data-entry'); });"
    )
    return found


def open_index(driver: Any, site: Site) -> None:
    driver.get((site / "index.html").as_uri())
    assert driver.title == "customsrc gallery"


@pytest.mark.slow
def test_browser_search_narrows_the_list(browser: Any, site: Site) -> None:
    from selenium.webdriver.common.by import By

    open_index(browser, site)
    names = [e.name for e in site.items]
    assert visible_entries(browser) == names
    search = browser.find_element(By.ID, "search")
    kinds = {e.name: facets(e).kind for e in site.items}
    described = {e.name: e.description for e in site.items}
    for query in ("helm", "S3", kinds["pypi-simple"], "versions from", described["maven-metadata"][:20]):
        search.clear()
        search.send_keys(query)
        words = query.lower().split()
        expected = [n for n in names if all(w in f"{n} {described[n]} {kinds[n]}".lower() for w in words)]
        assert visible_entries(browser) == expected, query
        assert 0 < len(expected) < len(names) or query == "versions from"
        assert browser.find_element(By.ID, "count").text == f"{len(expected)} of {len(names)} entries"
    search.clear()
    search.send_keys("no-such-repository-anywhere")
    assert visible_entries(browser) == []
    assert browser.find_element(By.ID, "none").is_displayed()
    search.clear()
    search.send_keys(" ")
    assert visible_entries(browser) == names
    assert console_errors(browser) == []


@pytest.mark.slow
def test_browser_each_filter_works(browser: Any, site: Site) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    open_index(browser, site)
    found = {e.name: facets(e) for e in site.items}
    for key, _ in FILTERS:
        select = Select(browser.find_element(By.ID, f"filter-{key}"))
        values = [o.get_attribute("value") for o in select.options][1:]
        expected_values = set()
        for facet in found.values():
            value = getattr(facet, key)
            expected_values.update(value if isinstance(value, tuple) else (value,))
        assert set(values) == expected_values, key
        for value in values:
            select.select_by_value(value)
            expected = [
                n
                for n, f in found.items()
                if (value in getattr(f, key) if isinstance(getattr(f, key), tuple) else getattr(f, key) == value)
            ]
            assert visible_entries(browser) == expected, (key, value)
        select.select_by_value("")
        assert visible_entries(browser) == list(found)
    # filters and search together
    Select(browser.find_element(By.ID, "filter-auth")).select_by_value("basic")
    browser.find_element(By.ID, "search").send_keys("helm")
    assert visible_entries(browser) == [n for n, f in found.items() if "basic" in f.auth and "helm" in n]
    assert console_errors(browser) == []


@pytest.mark.slow
def test_browser_copy_buttons_put_the_exact_yaml_on_the_clipboard(browser: Any, site: Site) -> None:
    """From file:// itself: Chromium counts file:// as a secure context, and CDP grants the
    clipboard to the file origin, so no local server is needed."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.execute_cdp_cmd(
        "Browser.grantPermissions",
        {"origin": "file://", "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]},
    )
    read = (
        "var done = arguments[arguments.length - 1];"
        "navigator.clipboard.readText().then(function (t) { done(['ok', t]); },"
        " function (e) { done(['error', String(e)]); });"
    )
    reset = (
        "var done = arguments[arguments.length - 1];"
        "navigator.clipboard.writeText('before the click').then(function () { done('ok'); },"
        " function (e) { done(String(e)); });"
    )
    for item in site.items:
        browser.get((site / "entries" / f"{item.name}.html").as_uri())
        wanted = {f"yaml-{kind}": to_yaml(export(item.source, kind)[0]) for kind in KINDS}
        wanted["run-command"] = example_command(item._replace(path=f"templates/{item.name}.yaml"))
        for ident, text in wanted.items():
            assert browser.execute_async_script(reset) == "ok"
            button = browser.find_element(By.CSS_SELECTOR, f"button[data-copy='{ident}']")
            browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", button)
            button.click()
            WebDriverWait(browser, 5, poll_frequency=0.02).until(lambda _, b=button: b.text == "Copied")
            assert browser.execute_async_script(read) == ["ok", text], (item.name, ident)
        assert console_errors(browser) == [], item.name


@pytest.mark.slow
def test_browser_every_link_on_every_page_resolves_without_console_errors(browser: Any, site: Site) -> None:
    links = (
        "return Array.from(document.querySelectorAll('a[href], link[href], script[src]'))"
        ".map(function (e) { return e.href || e.src; });"
    )
    start = (site / "index.html").as_uri()
    seen: set[str] = set()
    queue = [start]
    while queue:
        url = queue.pop()
        if url in seen:
            continue
        seen.add(url)
        browser.get(url)
        assert browser.title.endswith("customsrc gallery"), url
        assert browser.execute_script("return getComputedStyle(document.body).maxWidth") != "none"  # CSS loaded
        for link in browser.execute_script(links):
            parts = urlsplit(link)
            if parts.scheme == "data":
                continue
            assert parts.scheme == "file", f"{url}: {link} leaves the site"
            assert Path(unquote(parts.path)).is_file(), f"{url}: {link} does not resolve"
            if parts.path.endswith(".html"):
                queue.append(parts._replace(fragment="").geturl())
        assert console_errors(browser) == [], url
    assert len(seen) == len(site.items) + 1


@pytest.mark.slow
def test_browser_the_same_site_from_a_static_http_server(browser: Any, site: Site) -> None:
    """Any static host: served by http.server on 127.0.0.1, pages, CSS and JS load (no favicon or
    other request fails: the console stays clean) and the search still narrows the list."""
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    from selenium.webdriver.common.by import By

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site.folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}/"
        browser.get(base + "index.html")
        browser.find_element(By.ID, "search").send_keys("helm")
        assert visible_entries(browser) == [e.name for e in site.items if "helm" in f"{e.name} {e.description}".lower()]
        browser.find_element(By.LINK_TEXT, "helm-index").click()
        assert browser.current_url == base + "entries/helm-index.html"
        assert browser.execute_script("return getComputedStyle(document.body).maxWidth") != "none"
        assert console_errors(browser) == []
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.mark.slow
def test_browser_screenshot_of_the_index(browser: Any, site: Site, tmp_path: Path) -> None:
    open_index(browser, site)
    shot = tmp_path / "index.png"
    assert browser.save_screenshot(str(shot))
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) < 200_000, len(data)


def test_the_site_needs_no_network_and_no_template_engine(site: Site) -> None:
    """Its CSS and JS are the package's own: no CDN, no fetch() (file:// blocks it), no imports."""
    from customsrc import site as module

    for banned in ("fetch(", "xmlhttprequest", "http:", "https:", "import(", "@import", "url("):
        assert banned not in module.JS.lower()
        assert banned not in module.CSS.lower()
    imported = subprocess.run(
        [sys.executable, "-c", "import sys, customsrc.site; print(sorted(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout
    for engine in ("jinja2", "mako", "chameleon", "genshi"):
        assert f"'{engine}'" not in imported
    assert (site / "style.css").read_text() == module.CSS
    assert (site / "site.js").read_text() == module.JS
