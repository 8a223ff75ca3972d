"""The service's own front page and its Swagger UI, over HTTP and in a real browser: every route with an
example, nothing requested from another site, printable."""

from __future__ import annotations

import re
import shlex
import subprocess

import httpx
import pytest
from support import browse

from serving._home import BASE_URL_MARK, with_base_url


def test_the_front_page_lists_every_route_of_the_document_with_an_example(server):
    page = httpx.get(server.url + "/", timeout=10)
    document = httpx.get(server.url + "/docs.json", timeout=10).json()
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert page.headers["content-security-policy"].startswith("default-src 'none';")
    assert "<script" not in page.text and "bentoml" not in page.text.lower()
    assert "Authorization: Bearer" in page.text and "avstand keys add NAME" in page.text
    assert document["info"]["version"] in page.text
    for path, methods in document["paths"].items():
        for method in methods:
            anchor = (method + path).replace("/", "-").strip("-").replace("{", "").replace("}", "")
            assert f'id="{anchor}"' in page.text, (method, path)
    examples = re.findall(r"<pre>(curl .*?)</pre>", page.text)
    assert len(examples) == sum(len(methods) for methods in document["paths"].values())
    assert all(server.url in example for example in examples)


def test_the_front_page_example_for_score_works_as_written(server):
    page = httpx.get(server.url + "/", timeout=10).text
    example = re.search(r'<h3 id="post-score">.*?<pre>(curl .*?)</pre>', page, re.S).group(1)
    command = (example.replace("&#34;", '"').replace("&#39;", "'").replace("&amp;", "&")
               .replace("$AVSTAND_KEY", server.keys["portal"]))
    done = subprocess.run(shlex.split(command), capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 0 and '"assessment_id"' in done.stdout, done.stdout + done.stderr


def test_the_pages_read_in_a_real_browser_without_other_sites_and_print(server):
    for route, needle in (("/", "Authentication"), ("/docs", "Distance to the labour market")):
        page = browse(server.url + route)
        outside = [url for url in page["requests"] if not url.startswith((server.url, "data:"))]
        assert outside == [], (route, outside)
        assert needle in page["text"], route
        assert page["pdf"].startswith(b"%PDF") and page["pages"] >= 1
    front = browse(server.url + "/")
    assert front["requests"] == [server.url + "/"]  # the page alone: no script, style sheet, font or image
    assert front["pages"] >= 3


def test_the_front_page_repeats_only_a_plain_address(server):
    plain = httpx.get(server.url + "/", timeout=10)
    for host in ("evil<script>x.example", "a" * 4000):
        page = httpx.get(server.url + "/", headers={"host": host}, timeout=10)
        assert page.status_code == 200 and "<script" not in page.text
        assert host not in page.text and len(page.content) < len(plain.content) + 1000


@pytest.mark.parametrize(("asked_at", "shown"), [
    ("http://127.0.0.1:3000/", "http://127.0.0.1:3000/score"), ("http://avstand.internal", "http://avstand.internal/score"),
    ("http://evil<script>x.example/", "http://HOST:PORT/score"), ("http://" + "a" * 300, "http://HOST:PORT/score"),
])
def test_the_examples_show_the_address_asked_at_when_it_is_plain(asked_at, shown):
    assert with_base_url(f"<pre>curl {BASE_URL_MARK}/score</pre>", asked_at) == f"<pre>curl {shown}</pre>"
