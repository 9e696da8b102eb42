"""The headers of our HTML pages with forms (the signing page, the sandbox's payment page).

They keep the pages out of caches and referrers, out of other sites' frames, and let them
load nothing but our own stylesheet and images, and post only to ourselves.
"""

from __future__ import annotations

SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
}
