"""The gunicorn entry point: `gunicorn wsgi:app`. Never starts the scheduler.

A configuration or database that cannot work is one line on stderr and exit code 3,
gunicorn's "worker failed to boot", which stops the master instead of restarting
workers forever; a traceback would hide the sentence that says what to fix.
"""

import sys

from sqlalchemy import text

from servicedesk.app import create_app
from servicedesk.config import startup_message

#: gunicorn's exit code for a worker that cannot boot: the arbiter halts.
WORKER_BOOT_ERROR = 3

try:
    app = create_app()
    with app.extensions["db_engine"].connect() as connection:
        connection.execute(text("SELECT 1"))  # the database is there, now, not at the first request
except Exception as exc:
    message = startup_message(exc)
    if message is None:
        raise
    print(message, file=sys.stderr, flush=True)
    sys.exit(WORKER_BOOT_ERROR)
