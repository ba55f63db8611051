"""The threaded server's request threads: a few, fed whole requests by one poller.

A thread per connection means every connection with something to say
wakes its own thread, and every one of those threads wants the GIL: each
hand-over wakes and switches threads, and the more threads want it, the
more of the CPU goes to switching.  So ``RequestPool`` has:

- one poller thread that owns every connection waiting for bytes (on
  Linux in epoll, each connection armed for one event at a time,
  ``OneShotEpoll``; elsewhere in a ``selectors`` set: kqueue on the BSDs
  and macOS, poll or select otherwise).  It reads what arrives without waiting and feeds each
  connection's parser; a connection whose request is servable (whole, or
  refused, or with a body over ``body_buffer``) leaves the set for the
  ready queue.  So a client that sends slowly, head or body, costs a
  thread nothing.
- ``size`` request threads taking the ready queue in arrival order, one
  request each time.  A request running for ``slow`` seconds (a slow
  query, a call to another site) lends its turn: one more thread, up to
  ``max_threads`` in all (what ``limit_memory_hard`` can hold, see
  ``thread_cap``); a thread that failed to start is never counted.
- quick requests ahead of slow ones.  The pool remembers how long the
  requests of each route (path and API method or page, ``route_of``) took
  recently, on average (``SLOW_ROUTES`` routes, for ``SLOW_ROUTE_MEMORY``
  s); a route averaging ``slow`` or more, or whose first request is still
  running past it, is slow.  A waiting request of a route that is not slow
  is taken before any of a slow route,
  and slow routes never take the last ``RESERVE_THREADS`` threads of the
  cap: when slow requests have lent every thread they may, that reserve
  starts and serves only the others.  So a hundred API calls waiting on a
  starved database hold up neither the pages nor the quick calls behind
  them, and the reserve costs nothing until the cap is reached.

Every tick the poller also keeps the time limits: a connection past its
stage's deadline (``ClientConnection.deadline``: first request, idle, head, body
rate) is closed; idle kept-alive connections close at once when the server
drains, and the oldest of them when a new connection waits for its slot or
the process is out of file descriptors (``shed``).  A connection whose
request is in the ready queue is never closed unanswered: past
``QUEUE_WAIT`` seconds in the queue it gets ``503`` with ``Retry-After``.
"""
import collections
import logging
import queue
import re
import resource
import select
import selectors
import socket
import threading
import time

from . import connection as http11
from .connection import ClientGone

_logger = logging.getLogger(__name__)

THREAD_POLL = 1.0       # how often an idle thread looks whether it is one too many
QUEUE_WAIT = 30.0       # seconds a whole request may wait for a thread before a 503
RETRY_AFTER = 5         # seconds a 503 asks the client to wait
LEND_MAX = 64           # threads slow requests may add, at most
SHED_HEAD_AGE = 1.0     # a head arriving for longer than this may be shed at the fd limit
RESERVE_THREADS = 4     # threads of the cap slow routes never take (quick requests only)
SLOW_ROUTES = 256       # routes whose durations are remembered, at most (the oldest goes first)
SLOW_ROUTE_MEMORY = 60.0    # seconds a route's durations are remembered after its last request
ROUTE_WEIGHT = 0.25     # weight of a route's newest request in its average duration
ROUTE_MAX = 200         # bytes of a route kept (a longer one is cut)
QUICK_BATCH = 32        # pipelined requests the poller answers by heart in one go, at most

ROUTE_NAME = re.compile(rb"(?:^|&)(?:meth|app)=([^&]*)")


def route_of(message):
    """The route a request takes: its path and its API method or page (``meth``, ``app``).

    Flyton serves every API from one path (``/cgi-bin/api?meth=api_x``) and
    every page from another (``?app=name``): the path alone would take all
    of them for one route.
    """
    if message is None or message.error:
        return b""
    path, _, query = message.url.partition(b"?")
    found = ROUTE_NAME.search(query) if query else None
    if found:
        path += b"?" + found.group(1)
    return path[:ROUTE_MAX]


def thread_cap(size, limit_memory_hard):
    """Request threads the address-space limit can hold: ``size`` plus lent ones.

    Each thread reserves its stack (8 MB by default) against RLIMIT_AS;
    the lent threads may take a quarter of the limit, the rest is the
    process's.
    """
    stack = 0
    try:
        stack = threading.stack_size() or resource.getrlimit(resource.RLIMIT_STACK)[0]
    except (ValueError, OSError):
        pass
    if stack <= 0 or stack == resource.RLIM_INFINITY:
        stack = 8 * 2**20
    lend = LEND_MAX
    if limit_memory_hard:
        lend = min(lend, max(0, limit_memory_hard // 4 // stack))
    return size + lend


class OneShotEpoll:
    """The poller's set on Linux: epoll, each connection armed for one event at a time.

    A connection goes back to the set after every answer and leaves it when
    its next request is whole: with ``EPOLLONESHOT`` that is one system call
    per request (re-arming it) instead of an add and a delete, and none of
    ``selectors``' bookkeeping.  An event disarms the connection, so the
    poller never hears of one a thread is serving.  Any thread may arm one
    while the poller waits (the kernel's set is safe to change meanwhile).
    """

    ARMED = select.EPOLLIN | select.EPOLLONESHOT if hasattr(select, "epoll") else 0

    def __init__(self, wake_fd):
        self.epoll = select.epoll()
        self.wake_fd = wake_fd
        self.epoll.register(wake_fd, select.EPOLLIN)

    def watch(self, fd):
        """Wait for ``fd``'s next bytes (a new connection, or one back after its answer)."""
        try:
            self.epoll.modify(fd, self.ARMED)
        except FileNotFoundError:       # new to the set (a closed fd leaves it by itself)
            self.epoll.register(fd, self.ARMED)

    def rewatch(self, fd):
        """After an event: go on waiting for ``fd``'s bytes."""
        self.epoll.modify(fd, self.ARMED)

    def taken(self, fd):
        """After an event: ``fd`` is served now (its event disarmed it already)."""

    def unwatch(self, fd):
        """Stop waiting for an armed ``fd`` (it is served or closed without an event).

        Removed, not disarmed: epoll reports a hang-up even for a disarmed
        fd with no events asked, again and again while a thread serves it.
        """
        try:
            self.epoll.unregister(fd)
        except OSError:
            pass

    def wait(self, timeout):
        return [fd for fd, _ in self.epoll.poll(timeout)]


class SelectorSet:
    """The poller's set elsewhere: ``selectors`` (kqueue, poll, select), level-triggered.

    Those read their set only when a wait begins, so only the poller
    changes it (``RequestPool.give_back`` wakes it to).
    """

    def __init__(self, wake_fd):
        self.selector = selectors.DefaultSelector()
        self.selector.register(wake_fd, selectors.EVENT_READ)

    def watch(self, fd):
        self.selector.register(fd, selectors.EVENT_READ)

    def rewatch(self, fd):
        """Still registered: nothing to do."""

    def unwatch(self, fd):
        try:
            self.selector.unregister(fd)
        except (KeyError, ValueError, OSError):
            pass

    taken = unwatch

    def wait(self, timeout):
        return [key.fd for key, _ in self.selector.select(timeout)]


class RequestPool:
    """The poller, the ready queue and the request threads."""

    def __init__(self, server, size, slow=0.0, max_threads=None):
        self.server = server
        self.size = size
        self.slow = slow
        self.max_threads = max(size, max_threads if max_threads is not None else size + LEND_MAX)
        self.wake_in, self.wake_out = socket.socketpair()
        self.wake_in.setblocking(False)
        self.wake_out.setblocking(False)
        self.wake_fd = self.wake_in.fileno()
        # epoll where selectors would pick it, else selectors' own choice
        self.direct = selectors.DefaultSelector is getattr(selectors, "EpollSelector", None)
        self.watcher = (OneShotEpoll if self.direct else SelectorSet)(self.wake_fd)
        self.quick = server.quick is not None   # some answers are the application's by heart
        self.lock = threading.Lock()    # the queues, the counts, the running requests
        # a wake-up per queued request for the idle threads: a C queue's get()
        # waits in one lock; a Condition builds a lock per wait in Python
        self.wakeups = queue.SimpleQueue()
        self.waiting = {}       # fd -> ClientConnection the poller waits for (watched)
        self.back = []          # connections handed to the poller by other threads
        # servable connections, oldest first, as (monotonic time queued,
        # connection, route): quick routes and slow ones (see next_request)
        self.ready = collections.deque()
        self.ready_slow = collections.deque()
        self.running = {}       # thread ident -> (monotonic start, route) of its request
        self.slow_routes = {}   # route -> (average seconds, monotonic time of its last), oldest first
        self.threads = 0
        self.shed_wanted = False
        self.stopped = False
        self.start_failed_logged = False

    @property
    def reserve(self):
        """Threads of the cap kept for quick routes (none when the cap lends few)."""
        return min(RESERVE_THREADS, (self.max_threads - self.size) // 2)

    @property
    def limit(self):
        """Requests of slow routes that may run now: size, one more per request past
        slow, up to the cap less the reserve."""
        if not self.slow:
            return self.size
        since = time.monotonic() - self.slow
        lent = sum(1 for start, _ in self.running.values() if start <= since)
        return min(self.max_threads - self.reserve, self.size + lent)

    @property
    def wanted(self):
        """Threads the pool may have now: ``limit``, and the reserve once it is the cap."""
        limit = self.limit
        if self.slow and limit >= self.max_threads - self.reserve > self.size:
            return self.max_threads
        return limit

    def start(self):
        for _ in range(self.size):
            self.start_thread()
        threading.Thread(target=self.poller, name="inphms.http.poller", daemon=True).start()

    def stop(self):
        self.stopped = True
        self.wake()
        for _ in range(self.threads):
            self.wakeups.put(None)

    def start_thread(self):
        """One more request thread; False (and not counted) when it could not start."""
        thread = threading.Thread(target=self.request_thread, name="inphms.http.request",
                                  daemon=True)
        thread.type = "http"
        thread.start_time = time.time()
        with self.lock:
            self.threads += 1
        try:
            thread.start()
        except RuntimeError as exc:         # "can't start new thread": out of memory or pids
            with self.lock:
                self.threads -= 1
                self.max_threads = max(self.size, self.threads)
            if not self.start_failed_logged:
                self.start_failed_logged = True
                _logger.warning("cannot start a request thread (%s): at most %d from now on",
                                exc, self.max_threads)
            return False
        return True

    # -- connections in and out ---------------------------------------------
    def add(self, conn):
        """A new connection: the poller waits for its first request."""
        self.give_back(conn)

    def give_back(self, conn):
        """From any thread: ``conn`` goes to the poller (or the ready queue if servable).

        With epoll a thread registers it itself: the kernel's set is safe to
        change while the poller waits in it, and the poller sees the new fd
        at once, which saves waking the poller for each answered request.
        Other selectors read their set only when a wait begins: the poller
        is woken to register it.
        """
        if self.direct:
            self.to_poller(conn)
            return
        with self.lock:
            self.back.append(conn)
        self.wake()

    def wake(self):
        try:
            self.wake_out.send(b"w")
        except OSError:
            pass    # its buffer is full: the poller is awake anyway

    def close(self, conn):
        self.in_flight(conn, False)
        self.server.shutdown_request(conn.sock)     # closes it, frees its slot and count

    @staticmethod
    def in_flight(conn, flight):
        """Count ``conn``'s request in flight (``server.busy``) from its first byte to its end."""
        conn.count_in_flight(flight)

    def queue(self, conn):
        """``conn``'s request is servable: to the end of the ready queue of its kind."""
        self.in_flight(conn, True)
        route = route_of(conn.message) if self.slow else b""
        entry = (time.monotonic(), conn, route)
        with self.lock:
            (self.ready_slow if self.is_slow(route) else self.ready).append(entry)
        self.wake_a_thread()

    def wake_a_thread(self):
        """A wake-up for an idle request thread, unless as many as there are
        threads already wait to be taken.

        A woken thread serves every ready request before it waits again, so
        one wake-up per thread is all that can be needed; one per request
        would pile up while every thread is busy (by one per request under
        steady load, for as long as it lasts).
        """
        if self.wakeups.qsize() < max(1, self.threads):
            self.wakeups.put(None)

    # -- slow routes ---------------------------------------------------------------
    def is_slow(self, route):
        """True when ``route``'s recent requests take ``slow`` s or more on average
        (lock held); what it did over SLOW_ROUTE_MEMORY s ago is forgotten."""
        known = self.slow_routes.get(route) if route else None
        if known is None:
            return False
        if time.monotonic() - known[1] > SLOW_ROUTE_MEMORY:
            del self.slow_routes[route]
            return False
        return known[0] >= self.slow

    def mark(self, route, took):
        """One request of ``route`` took ``took`` s (lock held).

        An average, not the last request alone: under load a quick route's
        request may run past slow once (its route marked slow would queue it
        behind the slow ones); a route that turns slow (a database that
        starves) passes slow with its first slow requests.
        """
        if not route:
            return
        routes = self.slow_routes
        known = routes.pop(route, None)
        average = took if known is None else known[0] + ROUTE_WEIGHT * (took - known[0])
        routes[route] = (average, time.monotonic())     # the newest, at the end
        if len(routes) > SLOW_ROUTES:
            del routes[next(iter(routes))]

    def next_request(self):
        """The request a free thread serves next, or None (lock held).

        Quick routes first, in arrival order; one queued before its route was
        marked slow moves to the slow queue, ahead of those queued since.  A
        slow route's request runs only while fewer than ``limit`` requests
        run: the threads above it are the reserve.
        """
        ready = self.ready
        moved = []
        while ready:
            entry = ready.popleft()
            if not self.is_slow(entry[2]):
                self.ready_slow.extendleft(reversed(moved))
                return entry
            moved.append(entry)
        slow = self.ready_slow
        slow.extendleft(reversed(moved))
        if slow and len(self.running) < self.limit:
            return slow.popleft()
        return None

    # -- the poller -------------------------------------------------------------
    def poller(self):
        tick = http11.IDLE_POLL if not self.slow else min(http11.IDLE_POLL, self.slow)
        next_tick = time.monotonic() + tick
        while not self.stopped:
            try:
                fds = self.watcher.wait(max(0.0, next_tick - time.monotonic()))
                waiting = self.waiting
                for fd in fds:
                    if fd == self.wake_fd:
                        self.drain_wake()
                        continue
                    conn = waiting.get(fd)
                    if conn is not None:
                        self.read(fd, conn)
                self.take_back()
                if time.monotonic() >= next_tick:
                    next_tick = time.monotonic() + tick
                    self.housekeeping()
            except Exception:
                _logger.exception("error in the request pool's poller")
                time.sleep(tick)

    def drain_wake(self):
        try:
            while self.wake_in.recv(4096):
                pass
        except OSError:
            pass

    def take_back(self):
        with self.lock:
            back, self.back = self.back, []
        for conn in back:
            self.to_poller(conn)

    def to_poller(self, conn):
        """``conn`` waits in the selector for its next bytes (or queues if servable)."""
        if conn.servable():
            self.queue(conn)
            return
        if conn.receiving():
            self.in_flight(conn, True)
        fd = conn.sock.fileno()
        self.waiting[fd] = conn     # before the poller may hear of it
        try:
            self.watcher.watch(fd)
        except (OSError, ValueError, KeyError) as exc:
            self.waiting.pop(fd, None)
            _logger.warning("connection from %s: not accepted by the poller: %s",
                            conn.client, exc)
            self.close(conn)

    def unregister(self, conn):
        """``conn`` leaves the poller's set without an event (closed, or served)."""
        fd = conn.sock.fileno()
        self.waiting.pop(fd, None)
        self.watcher.unwatch(fd)

    def read(self, fd, conn):
        """An event for ``conn``: read what came; queue it when servable, else watch on."""
        try:
            while conn.read_now() and not conn.servable():
                pass
        except (ClientGone, OSError):
            self.waiting.pop(fd, None)
            self.watcher.taken(fd)
            self.close(conn)
            return
        if self.quick and conn.servable() and self.answer_quick(conn) is False \
                and not conn.unsent:
            self.waiting.pop(fd, None)
            self.watcher.taken(fd)
            self.close(conn)
            return
        # what is still servable (a request for the application, or an answer's
        # rest the client's socket could not take) is a thread's
        if conn.servable():
            self.waiting.pop(fd, None)
            self.watcher.taken(fd)
            self.queue(conn)
            return
        if conn.receiving():
            self.in_flight(conn, True)
        try:
            self.watcher.rewatch(fd)
        except OSError as exc:
            self.waiting.pop(fd, None)
            _logger.warning("connection from %s: not kept by the poller: %s", conn.client, exc)
            self.close(conn)

    @staticmethod
    def answer_quick(conn):
        """Answer ``conn``'s servable requests the application knows by heart, here in
        the poller (``ClientConnection.answer_quick``): no thread, no hand-over.

        True when every servable request was answered and the connection
        waits for more; False when it closes; None when a request is left for
        a thread (one the application must answer, or an answer's rest that
        the client's socket could not take yet).
        """
        for _ in range(QUICK_BATCH):
            if not conn.servable():
                return True
            if conn.unsent:
                return None
            keep = conn.answer_quick(waiting=False)
            if not keep:
                return keep
        # a client that pipelines many: the rest is a thread's, so the poller
        # goes back to the other connections (and epoll would not tell of
        # requests already read)
        return True if not conn.servable() else None

    # -- the request threads --------------------------------------------------
    def request_thread(self):
        me = threading.get_ident()
        threading.current_thread().name = f"inphms.http.request.{me}"
        while not self.stopped:
            with self.lock:
                entry = self.next_request()
                if entry is None and self.threads > self.size and self.threads > self.wanted:
                    self.threads -= 1           # a lent turn is back
                    return
                if entry is not None:
                    # counted as running in the same hold of the lock that took it,
                    # so no other thread picks a slow route past the reserve meanwhile
                    self.running[me] = (time.monotonic(), entry[2])
            if entry is None:
                # a wake-up may be for a request another thread took meanwhile:
                # then this one just looks again
                try:
                    self.wakeups.get(timeout=THREAD_POLL)
                except queue.Empty:
                    pass
                continue
            try:
                self.serve(me, entry[1], entry[2])
            except Exception:
                _logger.exception("error in a request thread")

    def serve(self, me, conn, route=b""):
        """Serve ``conn``'s oldest request; then it goes back to the poller, or closes."""
        started = self.running[me][0]    # request_thread counted it as running
        try:
            keep = conn.handle_message()
        except (ClientGone, socket.timeout, ConnectionError):
            keep = False
        except OSError as exc:
            _logger.debug("connection from %s: %s", conn.client, exc)
            keep = False
        except Exception:
            _logger.exception("error while handling a connection from %s", conn.client)
            keep = False
        finally:
            with self.lock:
                del self.running[me]
                if self.slow:
                    self.mark(route, time.monotonic() - started)
        self.in_flight(conn, False)
        if not keep:
            self.close(conn)
        elif conn.servable():
            self.queue(conn)    # a pipelined request: behind those already waiting
        else:
            self.give_back(conn)

    # -- housekeeping (the poller, every tick) ------------------------------------
    def housekeeping(self):
        self.close_expired()
        self.answer_overdue()
        if self.slow:
            self.lend_slow_turns()

    def close_expired(self):
        now = time.monotonic()
        server = self.server
        closing = []
        idle = []
        for conn in list(self.waiting.values()):
            if now >= conn.deadline():
                closing.append(conn)
            elif conn.message is None and conn.requests_seen:
                if server.draining:
                    if conn.idle_closable():
                        closing.append(conn)
                else:
                    idle.append(conn)
        if idle and server.slot_wanted and server.give_up_slot():
            closing.append(min(idle, key=lambda c: c.answered))
        if self.shed_wanted:
            self.shed_wanted = False
            closing += self.to_shed(now, set(closing))
        for conn in closing:
            if conn.message is None and self.arrived(conn):
                continue    # a request came since the last poll: served, not dropped
            self.unregister(conn)
            self.close(conn)

    def arrived(self, conn):
        """Read what came since the last poll; True when it began a request.

        An idle connection is closed only after this look: its client may
        have sent its next request a moment ago, and a request that has
        arrived is always answered.
        """
        try:
            conn.read_now()
        except (ClientGone, OSError):
            return False
        if conn.message is None:
            return False
        if conn.servable():
            self.unregister(conn)
            self.queue(conn)
        else:
            self.in_flight(conn, True)
        return True

    def to_shed(self, now, closing):
        """At the file-descriptor limit: the idle kept-alive connections, oldest first,
        then heads that have been trickling in for over SHED_HEAD_AGE s; a quarter
        of the waiting ones at most, so new clients get their turn."""
        waiting = list(self.waiting.values())
        idle = sorted((c for c in waiting
                       if c not in closing and c.message is None), key=lambda c: c.answered)
        slow_heads = sorted((c for c in waiting
                             if c not in closing and c.message is not None
                             and not c.message.headers_done
                             and now - c.message.begun > SHED_HEAD_AGE),
                            key=lambda c: c.message.begun)
        most = max(1, len(self.waiting) // 4)
        shed = (idle + slow_heads)[:most]
        if shed:
            _logger.warning("out of file descriptors: closing %d idle or slow connections", len(shed))
        return shed

    def shed(self):
        """From the accept loop: out of file descriptors, ask the poller to shed."""
        self.shed_wanted = True
        self.wake()

    def answer_overdue(self):
        """Requests waiting for a thread past QUEUE_WAIT get a 503, never silence."""
        limit = time.monotonic() - QUEUE_WAIT
        overdue = []
        with self.lock:
            for ready in (self.ready, self.ready_slow):
                while ready and ready[0][0] <= limit:
                    overdue.append(ready.popleft()[1])
        for conn in overdue:
            try:
                conn.refuse(http11.HTTPError(503, "Service Unavailable: every request thread "
                                                  "is busy"), f"Retry-After: {RETRY_AFTER}\r\n")
            except OSError:
                pass
            self.close(conn)

    def lend_slow_turns(self):
        """Each request running longer than ``slow`` lends its turn: one more thread;
        its route is marked slow at once, so that what waits behind it goes first."""
        since = time.monotonic() - self.slow
        with self.lock:
            for start, route in list(self.running.values()):
                if start <= since and route not in self.slow_routes:
                    self.mark(route, self.slow)     # no history yet: slow from now on
            missing = self.wanted - self.threads
            waiting_slow = len(self.ready_slow)
        for _ in range(waiting_slow):
            self.wake_a_thread()        # idle threads may take them now
        for _ in range(missing):
            if not self.start_thread():
                break
