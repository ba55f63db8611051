"""The server process: how it serves (threaded), its signals, limits and restarts."""
