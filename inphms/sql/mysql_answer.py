"""Reading a statement's answer from MariaDB/MySQL in fewer Python steps than PyMySQL.

PyMySQL reads an answer packet by packet: for each one two reads from the
socket's buffer, a packet object, and checks for OK, EOF and errors made
through method calls. A session lookup (one row of three columns) is seven
packets, and under a profiler reading them was about half of the lookup's
time in Python (the rest: sending the statement, the cursor and the pool).
``PacketResult`` reads the same bytes off the same buffer and fills PyMySQL's
result object, so cursors, errors and everything after the read behave as
PyMySQL's own:

- the socket's read timeout is set once an answer, and each packet's
  payload taken with two reads of the buffered socket, its sequence number
  checked and an error packet raised, as PyMySQL's ``_read_packet`` does
  (``read_payload``);
- the column descriptions of a result (one packet per column) are the same
  bytes every time a statement runs: their parsed form (PyMySQL's field
  objects, ``description`` and per-column decoders) is kept per connection,
  keyed by those bytes;
- each row's values are cut out of its packet in one loop;
- a packet over 16 MiB (sent as several) is joined as PyMySQL joins it.

An exception other than the server's error while an answer is read (a
value that fails to convert, MemoryError) closes the connection: the rest
of its answer is unread, and the next statement would read it.

Anything else (an OK answer to a write, LOAD DATA LOCAL, 251 columns or
more, an unbuffered cursor) is handed to PyMySQL's own code, which reads on
from the same position.  The further result sets of a procedure are read
here too: PyMySQL asks for each through ``_read_query_result``.
"""
from pymysql import err
from pymysql.connections import MAX_PACKET_LEN, TEXT_TYPES, MySQLResult
from pymysql.constants import CR, FIELD_TYPE, SERVER_STATUS
from pymysql.converters import through
from pymysql.protocol import FieldDescriptorPacket, MysqlPacket

# Shapes of results kept per connection; past this many the cache starts again.
MAX_SHAPES = 256
BINARY = 63     # the charset number of binary strings (BLOB, BINARY): left as bytes
NOT_KEPT = object()     # a connection of a PyMySQL that does not keep its socket's timeout


class Shape:
    """The parsed column descriptions of one kind of result."""
    __slots__ = ("fields", "description", "converters")

    def __init__(self, conn, packets):
        self.fields = [FieldDescriptorPacket(raw, conn.encoding) for raw in packets]
        self.description = tuple(field.description() for field in self.fields)
        self.converters = [decoder_for(conn, field) for field in self.fields]


def decoder_for(conn, field):
    """(encoding, converter) of one column, chosen as PyMySQL chooses them."""
    converter = conn.decoders.get(field.type_code)
    if converter is through:
        converter = None
    return column_encoding(conn, field), converter


def column_encoding(conn, field):
    """None for bytes, else the encoding of the column's text."""
    if not conn.use_unicode:
        return None
    if field.type_code == FIELD_TYPE.JSON:
        return conn.encoding
    if field.type_code not in TEXT_TYPES:
        return "ascii"      # numbers, dates and times
    if field.charsetnr == BINARY:
        return None
    return conn.encoding


def lost(conn, detail=""):
    conn._force_close()
    return err.OperationalError(CR.CR_SERVER_LOST, "Lost connection to MySQL server during query" + detail)


def set_read_timeout(conn):
    """The socket's timeout for reading, set only when it changes, as PyMySQL 1.2 does.

    PyMySQL 1.1 keeps no ``_current_timeout`` and sets it before every read;
    here it is set once an answer (``PacketResult.read``).
    """
    current = getattr(conn, "_current_timeout", NOT_KEPT)
    if current == conn._read_timeout:
        return
    conn._sock.settimeout(conn._read_timeout)
    if current is not NOT_KEPT:
        conn._current_timeout = conn._read_timeout


def read_payload(conn):
    """The payload of the next packet, read and checked as PyMySQL's ``_read_packet`` does.

    A packet over 16 MiB is joined, and an error packet raised.  The two
    reads are PyMySQL's ``_read_bytes`` written out: two calls of it a
    packet cost a noticeable share of what this reader saves.
    """
    read = conn._rfile.read
    payload = b""
    while True:
        try:
            head = read(4)
            size = int.from_bytes(head[:3], "little")
            body = read(size)
        except OSError as exc:
            raise lost(conn, f" ({exc})") from exc
        except BaseException:
            conn._force_close()     # a read cut off midway leaves the stream unusable
            raise
        if len(head) < 4 or len(body) < size:
            raise lost(conn)
        if head[3] != conn._next_seq_id:
            raise wrong_number(conn, head[3])
        conn._next_seq_id = (head[3] + 1) & 0xFF
        payload = payload + body if payload else body
        if size < MAX_PACKET_LEN:
            break
    if payload[:1] == b"\xff":
        MysqlPacket(payload, conn.encoding).raise_for_error()
    return payload


def wrong_number(conn, number):
    """The error for a packet out of sequence; the connection is closed."""
    if number == 0:
        return lost(conn)   # MariaDB's goodbye when it shuts down comes numbered 0
    conn._force_close()
    return err.InternalError(f"Packet sequence number wrong - got {number} expected {conn._next_seq_id}")


def is_eof(payload):
    return payload[0] == 0xFE and len(payload) < 9


class PacketResult(MySQLResult):
    """PyMySQL's buffered result, read by ``read_payload`` and ``split_row``."""

    def read(self):
        conn = self.connection
        try:
            set_read_timeout(conn)
            first = read_payload(conn)
            kind = first[0]
            if kind == 0 or kind >= 0xFB or len(first) != 1:
                # OK, LOAD DATA LOCAL, or 251+ columns: PyMySQL's way
                return self.read_slowly(first)
            self.field_count = kind
            shape = self.read_shape(conn, kind)
            self.fields = shape.fields
            self.converters = shape.converters
            self.description = shape.description
            self.read_rows(conn, shape.converters)
        except err.MySQLError:
            raise       # an error packet read whole, or the connection closed by lost()
        except BaseException:
            # a value that failed to convert, MemoryError, a timeout of the
            # request: the rest of the answer is unread, the stream unusable
            conn._force_close()
            raise
        finally:
            self.connection = None

    def read_slowly(self, first):
        packet = MysqlPacket(first, self.connection.encoding)
        if packet.is_ok_packet():
            return self._read_ok_packet(packet)
        if packet.is_load_local_packet():
            return self._read_load_local_packet(packet)
        return self._read_result_packet(packet)

    def read_shape(self, conn, count):
        packets = tuple([read_payload(conn) for _ in range(count)])
        if not is_eof(read_payload(conn)):
            raise lost(conn, " (no end after the column descriptions)")
        shapes = conn.shapes
        shape = shapes.get(packets)
        if shape is None:
            if len(shapes) >= MAX_SHAPES:
                shapes.clear()
            shape = shapes[packets] = Shape(conn, packets)
        return shape

    def read_rows(self, conn, converters):
        rows = []
        while True:
            payload = read_payload(conn)
            if is_eof(payload):
                break
            rows.append(split_row(payload, converters))
        # the EOF packet: warnings, and whether more result sets follow
        self.warning_count = int.from_bytes(payload[1:3], "little")
        status = int.from_bytes(payload[3:5], "little")
        self.has_next = bool(status & SERVER_STATUS.SERVER_MORE_RESULTS_EXISTS)
        self.affected_rows = len(rows)
        self.rows = tuple(rows)


def split_row(payload, converters):
    """A text-protocol row: each value a length-coded string, 0xFB for NULL."""
    row = []
    end = len(payload)
    at = 0
    for encoding, converter in converters:
        if at >= end:
            break       # fewer values than columns: PyMySQL stops there too
        size = payload[at]
        if size < 0xFB:
            at += 1
        elif size == 0xFB:
            row.append(None)
            at += 1
            continue
        elif size == 0xFC:
            size = payload[at + 1] | payload[at + 2] << 8
            at += 3
        elif size == 0xFD:
            size = payload[at + 1] | payload[at + 2] << 8 | payload[at + 3] << 16
            at += 4
        else:
            size = int.from_bytes(payload[at + 1:at + 9], "little")
            at += 9
        value = payload[at:at + size]
        at += size
        if encoding is not None:
            value = value.decode(encoding)
        if converter is not None:
            value = converter(value)
        row.append(value)
    return tuple(row)
