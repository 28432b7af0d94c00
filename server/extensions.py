"""Extension objects live at module level and are bound to an app in `create_app`."""

from flask_socketio import SocketIO

socketio = SocketIO()
