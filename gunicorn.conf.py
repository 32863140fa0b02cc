"""gunicorn's settings file, read from the working directory (`gunicorn wsgi:app` in /srv/beikaobei).

The command line in docs/DEPLOYMENT.md §5 gives workers, bind address and timeout; this file holds what must
hold whatever the command line says: the logger that masks personal link tokens and the other secret-bearing
paths (app.platform.log_masking) in the access and error logs (issue 24, finding 6).
"""
logger_class = "app.platform.gunicorn_logging.MaskingLogger"
