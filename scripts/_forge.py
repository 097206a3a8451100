"""Shared by the forge and CI server entries (gitlab-packages, gitlab-releases, gitea-releases,
jenkins-builds, bamboo-results). Standard library only; inlined once, after _http.

Listings page as the forges do: a Link rel="next" header (GitLab, Gitea, Forgejo), else GitLab's
X-Next-Page, else Gitea's X-Total-Count with page=N+1; JSON bodies read or failed clearly; requests a
few at a time from worker threads (which never exit: they raise Stop, and the main thread says it).
"""

import concurrent.futures
import json
import os
import urllib.error
import urllib.parse

from _http import error_detail, fail, failed, next_link, origin, request  # customsrc:include

CREDENTIALS = ("Authorization", "Private-token", "Job-token")  # as urllib spells header names


class Stop(Exception):
    """A failed request, raised where exiting is not allowed (a worker thread); ``end()`` says it."""

    def __init__(self, url, error):
        super().__init__(url)
        self.url, self.error = url, error

    def end(self):
        failed(self.error, self.url)


def ask(url, headers):
    """(body, response headers), or Stop for any failure."""
    try:
        return request(url, headers)
    except (urllib.error.URLError, OSError) as exc:  # HTTPError is a URLError
        raise Stop(url, exc) from None


def read_json(body, url, what):
    """The JSON document of a response, or a clear failure naming what was expected."""
    try:
        return json.loads(body)
    except ValueError:
        return fail(f"{url.split('?', 1)[0]} did not answer JSON ({what}): is REPO_URL the server's base URL?")


def with_query(url, **params):
    """``url`` with the given query parameters set (replacing any of the same name)."""
    parts = urllib.parse.urlsplit(url)
    query = [(k, v) for k, v in urllib.parse.parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    query += [(k, str(v)) for k, v in params.items()]
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


def next_page(headers, url, seen_items):
    """The next page's URL, or None: Link rel="next"; else X-Next-Page (GitLab, empty on the last
    page); else page+1 while X-Total-Count (Gitea, Forgejo) says more items are left."""
    link = next_link(headers, url)
    if link:
        return link
    if headers.get("X-Next-Page") is not None:
        following = headers.get("X-Next-Page", "").strip()
        return with_query(url, page=following) if following.isdigit() else None
    total = (headers.get("X-Total-Count") or headers.get("X-Total") or "").strip()
    if total.isdigit() and seen_items < int(total):
        page = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query).get("page", ["1"])[0]
        return with_query(url, page=int(page) + 1 if page.isdigit() else 2)
    return None


def each_page(url, headers, what):
    """Yield each page's list of items, following the pages; Stop on any failure (the first page's
    404 too: the caller names what is missing)."""
    seen, visited, start = 0, set(), origin(url)
    while url:
        if origin(url) != start and any(name.capitalize() in CREDENTIALS for name in headers):
            fail(
                f"the server's next page is on another origin ({url.split('?', 1)[0]}): credentials are not sent "
                "there (is the server's external URL set to the one in REPO_URL?)"
            )
        if url in visited:
            fail(f"the server's next page repeats {url.split('?', 1)[0]}: stopped")
        visited.add(url)
        body, headers_ = ask(url, headers)
        page = read_json(body, url, what)
        if not isinstance(page, list):
            fail(f"{url.split('?', 1)[0]} did not answer a list of {what}")
        yield page
        seen += len(page)
        url = next_page(headers_, url, seen) if page else None


def listing(url, headers, what, missing):
    """Every item of a paged listing, in the server's order. A 404 on the first page calls
    ``missing(detail)`` (the vendor's own words, to fail with); any other failure, on any page, ends
    the script naming the status and the URL."""
    items, first = [], True
    try:
        for page in each_page(url, headers, what):
            first = False
            items += page
    except Stop as stop:
        if first and getattr(stop.error, "code", None) == 404:
            missing(error_detail(stop.error))
        stop.end()
    return items


def gather(work, things, workers=8):
    """[work(thing) for thing in things], ``workers`` at a time, in order; the first Stop ends the
    script (said by the main thread)."""
    if not things:
        return []
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=min(workers, len(things)))
    futures = [pool.submit(work, thing) for thing in things]
    try:
        return [future.result() for future in futures]
    except Stop as stop:
        for future in futures:
            future.cancel()
        stop.end()
    finally:
        pool.shutdown(wait=False)


def choices(name, default, known):
    """A comma-separated list input of ``known`` words (any case; ``any`` or ``*``: all of them)."""
    text = os.environ.get(name, "").strip() or default
    if text.lower() in ("any", "*", "all"):
        return set(known)
    chosen = {word.strip().upper() for word in text.split(",") if word.strip()}
    wrong = sorted(word for word in chosen if word not in {k.upper() for k in known})
    if wrong:
        fail(f"{name} has {', '.join(wrong)}: use a comma-separated list of {', '.join(known)}, or any")
    return {k for k in known if k.upper() in chosen}


def first_match(regex, entries, field):
    """The first entry whose ``field`` the regex finds something in, or {}."""
    return next((e for e in entries if isinstance(e, dict) and regex.search(str(e.get(field) or ""))), {})


def without_note(missing, total, what, regex_name, regex):
    """The stderr note for items kept with no asset/artifact matching the regex: None if none."""
    if not missing:
        return None
    shown = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
    return (
        f"{len(missing)} of {total} {what} have no {regex_name.split('_')[0].lower()} matching {regex_name} "
        f"{regex.pattern!r} ({shown}): theirs is empty"
    )


def gitlab_project(base):
    """PROJECT as the API names it: a numeric ID, or the path URL-encoded (group%2Fsub%2Fapp); a
    pasted project URL (https://gitlab.example.com/group/app/-/packages) is taken to its path."""
    project = os.environ.get("PROJECT", "").strip().strip("/")
    host = urllib.parse.urlsplit(base)
    if project.startswith(("http://", "https://")):
        path = urllib.parse.urlsplit(project).path
        prefix = host.path.rstrip("/")
        project = path[len(prefix) :] if prefix and path.startswith(prefix + "/") else path
        project = project.split("/-/", 1)[0].strip("/")
    if project.endswith(".git"):
        project = project[:-4]
    if not project:
        fail("PROJECT is empty: give the project's ID (e.g. 42) or its path (e.g. group/app)")
    return project, urllib.parse.quote(project, safe="")


def gitlab_headers():
    """The GITLAB_TOKEN secret in the header TOKEN_HEADER names (PRIVATE-TOKEN, JOB-TOKEN, or
    Bearer for an OAuth token); none for anonymous access."""
    token = os.environ.get("GITLAB_TOKEN", "").strip()
    kind = (os.environ.get("TOKEN_HEADER", "").strip() or "PRIVATE-TOKEN").upper()
    if kind not in ("PRIVATE-TOKEN", "JOB-TOKEN", "BEARER"):
        fail(f"TOKEN_HEADER must be PRIVATE-TOKEN, JOB-TOKEN or Bearer, got {kind!r}")
    if not token:
        return {}
    return {"Authorization": f"Bearer {token}"} if kind == "BEARER" else {kind: token}


def gitlab_missing(project, base):
    """The failure for a project GitLab answers 404 for (it says 404 for a private one too)."""
    token = os.environ.get("GITLAB_TOKEN", "").strip()
    why = "or GITLAB_TOKEN cannot see it" if token else "or it is private: give GITLAB_TOKEN"

    def missing(detail):
        fail(f"no project {project} at {base} ({why}){detail}")

    return missing
