"""A job file without its function: left out, logged."""
every = 5
