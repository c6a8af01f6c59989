"""Serving the app: ``serving.http`` runs ``python app.py`` (gevent pywsgi); ``serving.process``
holds the guards every server shares (``deploy/gunicorn.conf.py`` uses them too)."""
