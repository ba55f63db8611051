"""``/``: the way in is the login page."""
from werkzeug.utils import redirect

from inphms import answers

from .base import Dispatcher

LOGIN_PAGE = "/pages/login/"


class RootDispatcher(Dispatcher):
    routing_type = "root"
    paths = ("/",)

    def dispatch(self):
        return answers.secure(redirect(LOGIN_PAGE, 302))
