"""Issue 24, finding 6: secrets out of gunicorn's logs and out of the documented nginx access log."""
from __future__ import annotations

import importlib.util
import logging
import re
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

from gunicorn.config import Config

from app.platform.log_masking import SecretPathFilter, nginx_map

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "Zx8kQ2mN4pR7tV1wAbCdEf"


def gunicorn_config(tmp_path: Path) -> Config:
    """gunicorn's configuration as `gunicorn wsgi:app` builds it in the project's directory: its defaults, then
    ./gunicorn.conf.py if there is one (gunicorn.app.base), then an access log to a file, in the combined format
    and with the raw URI, as an operator might set them."""
    cfg = Config()
    default_file = ROOT / cfg.settings["config"].get()
    if default_file.exists():
        spec = importlib.util.spec_from_file_location("__config__", default_file)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for name, value in vars(module).items():
            if name in cfg.settings:
                cfg.set(name.lower(), value)
    cfg.set("accesslog", str(tmp_path / "access.log"))
    cfg.set("errorlog", str(tmp_path / "error.log"))
    cfg.set("access_log_format", '%(h)s "%(r)s" %(s)s path=%(U)s raw=%({raw_uri}e)s referer="%(f)s"')
    return cfg


def test_gunicorn_access_log_masks_the_token_and_keeps_the_path(tmp_path):
    # Only the configuration may mask: the filter that create_app() puts on these loggers (in the workers) is
    # taken off, in case another test built an application in this process.
    for name in ("gunicorn.access", "gunicorn.error"):
        logger = logging.getLogger(name)
        for existing in [f for f in logger.filters if isinstance(f, SecretPathFilter)]:
            logger.removeFilter(existing)
    cfg = gunicorn_config(tmp_path)
    log = cfg.logger_class(cfg)
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": f"/s/{TOKEN}", "PATH_INFO": f"/s/{TOKEN}", "QUERY_STRING": "",
               "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "203.0.113.9",
               "HTTP_REFERER": f"https://pj.example.gov.cn/s/{TOKEN}"}
    response = SimpleNamespace(status="302 FOUND", headers=[("Location", "/s/survey")], sent=0)
    request = SimpleNamespace(headers=[("HOST", "pj.example.gov.cn")])
    try:
        log.access(response, request, environ, timedelta(milliseconds=12))
        log.error("Error handling request %s", f"/s/{TOKEN}")
    finally:
        log.close_on_exec()
        for handler in log.access_log.handlers + log.error_log.handlers:
            handler.close()
    access = (tmp_path / "access.log").read_text()
    error = (tmp_path / "error.log").read_text()
    assert TOKEN not in access, access
    assert TOKEN not in error, error
    assert '"GET /s/*** HTTP/1.1" 302 path=/s/*** raw=/s/***' in access
    assert "Error handling request /s/***" in error


def test_gunicorn_access_log_keeps_ordinary_paths(tmp_path):
    cfg = gunicorn_config(tmp_path)
    log = cfg.logger_class(cfg)
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": "/s/survey/2?x=1", "PATH_INFO": "/s/survey/2",
               "QUERY_STRING": "x=1", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "203.0.113.9"}
    try:
        log.access(SimpleNamespace(status="200 OK", headers=[], sent=10), SimpleNamespace(headers=[]), environ,
                   timedelta(milliseconds=3))
    finally:
        for handler in log.access_log.handlers + log.error_log.handlers:
            handler.close()
    assert '"GET /s/survey/2?x=1 HTTP/1.1" 200 path=/s/survey/2' in (tmp_path / "access.log").read_text()


def _nginx_block(deployment: str) -> str:
    match = re.search(r"^map \$request_uri \$masked_uri \{\n.*?^\}$", deployment, re.S | re.M)
    assert match, "docs/DEPLOYMENT.md documents no `map $request_uri $masked_uri` block"
    return match.group(0)


def test_the_documented_nginx_access_log_logs_the_masked_path():
    deployment = (ROOT / "docs" / "DEPLOYMENT.md").read_text(encoding="utf-8")
    # One source of truth: the documented map is exactly what the application's patterns print.
    assert _nginx_block(deployment) == nginx_map()
    formats = re.findall(r"log_format\s+\w+[^;]*;", deployment, re.S)
    assert formats, "no log_format documented"
    for log_format in formats:
        assert "$masked_uri" in log_format
        assert not re.search(r"\$request\b|\$request_uri|\$uri\b|\$args|\$query_string|\$http_referer",
                             log_format), log_format


def test_the_nginx_map_masks_what_the_filter_masks():
    """The map's regular expressions, read as nginx reads them (PCRE, named groups, \\" unescaped)."""
    rules = []
    for line in nginx_map().splitlines():
        found = re.match(r'\s+"~(.*)" "\$bkb_p\*\*\*\$bkb_r";$', line)
        if found:
            pattern = found.group(1).replace('\\"', '"').replace("(?<bkb_", "(?P<bkb_")
            rules.append(re.compile(pattern))

    def nginx(uri: str) -> str:
        for rule in rules:
            hit = rule.match(uri)
            if hit:
                return hit.group("bkb_p") + "***" + hit.group("bkb_r")
        return uri

    assert nginx(f"/s/{TOKEN}") == "/s/***"
    assert nginx(f"/s/{TOKEN}?utm=sms") == "/s/***?utm=sms"
    assert nginx("/r/Ab_9-xYz12/code") == "/r/***/code"
    assert nginx("/admin/pool/import/" + TOKEN) == "/admin/pool/import/***"
    for kept in ("/s/survey", "/s/survey/3", "/s/thanks", "/s", "/complaints/track", "/admin/rounds/4"):
        assert nginx(kept) == kept
