"""The gunicorn entry point: `gunicorn wsgi:app`. Never starts the scheduler."""

from servicedesk.app import create_app

app = create_app()
