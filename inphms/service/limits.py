"""Process limits: the address-space cap and the resident memory reading."""
import logging
import os
import resource

_logger = logging.getLogger(__name__)
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def set_limit_memory_hard(limit):
    """Cap the address space (RLIMIT_AS) at ``limit`` bytes; 0 leaves it alone."""
    if not limit:
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY and limit > hard:
        _logger.warning("limit_memory_hard %d is above the system's hard limit %d", limit, hard)
        limit = hard
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def memory_rss():
    """Resident memory of this process in bytes (Linux /proc; 0 elsewhere)."""
    try:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * PAGE_SIZE
    except (OSError, ValueError, IndexError):
        return 0
