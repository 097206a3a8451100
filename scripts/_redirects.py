# Shared by every gallery script (`# customsrc:include _redirects.py`): credentials go only to the
# origin they were given for. urllib copies Authorization onto a redirect to any host, so a private
# index that redirects to a CDN or a fallback index would hand the credentials to a third party.
import urllib.parse
import urllib.request


class SameOriginCredentials(urllib.request.HTTPRedirectHandler):
    """Follows redirects, dropping Authorization and Cookie when the scheme, host or port changes."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and _origin(req.full_url) != _origin(new.full_url):
            for name in ("Authorization", "Cookie", "Proxy-authorization"):
                new.remove_header(name)
        return new


def _origin(url):
    parts = urllib.parse.urlsplit(url)
    return parts.scheme, parts.hostname, parts.port or {"http": 80, "https": 443}.get(parts.scheme)


urllib.request.install_opener(urllib.request.build_opener(SameOriginCredentials))
