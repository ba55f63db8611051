"""A job file without `every`: left out, logged."""


def noevery(data):
    return 1
