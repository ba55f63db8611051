"""ses_expire of cronover: overrides the one of base."""
every = 7
timeout = 20


def ses_expire(data):
    return "cronover"
