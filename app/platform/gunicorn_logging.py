"""gunicorn's logger with secret-bearing paths masked (``logger_class`` in gunicorn.conf.py).

gunicorn's access log writes the request line (``%(r)s``), the path (``%(U)s``), the Referer and the raw URI
environment; its error log names the path of a request that failed. Both get the SecretPathFilter of
app.platform.log_masking, so that whatever ``access_log_format`` an operator chooses, a personal link's token
never reaches the file, the journal or syslog.
"""
from __future__ import annotations

from gunicorn.glogging import Logger

from app.platform.log_masking import mask_secret_paths_in_logs


class MaskingLogger(Logger):
    """gunicorn's Logger, its access and error logs filtered by SecretPathFilter."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        mask_secret_paths_in_logs(self.access_log, self.error_log)
