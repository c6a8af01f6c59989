"""No Flask session: bearer tokens authenticate every request, so no session cookie is read,
verified or signed (Flask's default cookie session costs a serializer per request)."""

from flask.sessions import SessionInterface


class NoSessions(SessionInterface):
    """``flask.session`` is Flask's NullSession: reading it finds nothing, writing raises."""

    def open_session(self, app, request):
        return None  # Flask then uses make_null_session

    def save_session(self, app, session, response):
        return None
